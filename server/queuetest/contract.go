package queuetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

func testHandlerRunsWithData(t *testing.T, q server.Queue, opt Options) {
	typ := jobType(t, "echo")
	got := make(chan *server.Job, 1)
	q.Register(typ, func(_ context.Context, j *server.Job) error { got <- j; return nil })
	data := `{"documentId":"123","userId":"456"}`
	added := MustAdd(t, q, typ, data, server.JobOptions{Priority: 10, OrganizationID: "org-1"})
	if added.Type != typ || added.Priority != 10 || added.OrganizationID != "org-1" || added.MaxAttempts != opt.MaxAttempts {
		t.Errorf("added job: got type=%q priority=%d org=%q maxAttempts=%d; want %q, 10, org-1, %d",
			added.Type, added.Priority, added.OrganizationID, added.MaxAttempts, typ, opt.MaxAttempts)
	}
	if added.State != server.JobPending && added.State != server.JobProcessing && added.State != server.JobCompleted {
		t.Errorf("added job: got state %q; want pending", added.State)
	}
	j := recv(t, got, shortWait, "handler run")
	if j.ID != added.ID || j.Type != typ || !bytes.Equal(j.Data, []byte(data)) || j.Attempts != 1 || j.OrganizationID != "org-1" {
		t.Errorf("handler got id=%s type=%q data=%s attempts=%d org=%q; want %s, %q, %s, 1, org-1",
			j.ID, j.Type, j.Data, j.Attempts, j.OrganizationID, added.ID, typ, data)
	}
	done := waitState(t, q, added.ID, server.JobCompleted, shortWait)
	if done.Attempts != 1 || done.ProcessedAt == nil || done.CompletedAt == nil || !bytes.Equal(done.Data, []byte(data)) {
		t.Errorf("completed job: got attempts=%d processedAt=%v completedAt=%v data=%s; want 1, set, set, %s",
			done.Attempts, done.ProcessedAt, done.CompletedAt, done.Data, data)
	}
}

// testPriorityOrder: with one worker busy, jobs added with priorities 1, 5
// and 10 run higher first and FIFO within a priority.
func testPriorityOrder(t *testing.T, q server.Queue, _ Options) {
	b := newBlocker(t, q)
	typ := jobType(t, "ordered")
	var mu sync.Mutex
	var order []string
	ran := make(chan struct{}, 16)
	q.Register(typ, func(_ context.Context, j *server.Job) error {
		var d struct{ Label string }
		if err := json.Unmarshal(j.Data, &d); err != nil {
			return err
		}
		mu.Lock()
		order = append(order, d.Label)
		mu.Unlock()
		ran <- struct{}{}
		return nil
	})
	b.start(t, q)
	jobs := []struct {
		label    string
		priority int
	}{{"p1-a", 1}, {"p5-a", 5}, {"p1-b", 1}, {"p10", 10}, {"p5-b", 5}, {"p1-c", 1}}
	for _, j := range jobs {
		MustAdd(t, q, typ, fmt.Sprintf(`{"label":%q}`, j.label), server.JobOptions{Priority: j.priority})
	}
	eventually(t, shortWait, func() (bool, string) {
		st := MustStats(t, q)
		return st.Pending == int64(len(jobs)), fmt.Sprintf("pending: got %d; want %d", st.Pending, len(jobs))
	})
	b.Release()
	for range jobs {
		recv(t, ran, shortWait, "ordered job run")
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"p10", "p5-a", "p5-b", "p1-a", "p1-b", "p1-c"}
	if !slices.Equal(order, want) {
		t.Fatalf("run order: got %v; want %v", order, want)
	}
}

// attemptLog records the start time and Attempts of every run of a job.
type attemptLog struct {
	mu       sync.Mutex
	starts   map[string][]time.Time
	attempts map[string][]int
	ends     map[string][]time.Time
}

func newAttemptLog() *attemptLog {
	return &attemptLog{starts: map[string][]time.Time{}, attempts: map[string][]int{}, ends: map[string][]time.Time{}}
}

// handler returns a handler that fails the first failures runs of each job
// (failures < 0: always) and records every run.
func (l *attemptLog) handler(failures int) server.JobHandler {
	return func(_ context.Context, j *server.Job) error {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.starts[j.ID] = append(l.starts[j.ID], time.Now())
		l.attempts[j.ID] = append(l.attempts[j.ID], j.Attempts)
		defer func() { l.ends[j.ID] = append(l.ends[j.ID], time.Now()) }()
		if n := len(l.starts[j.ID]); failures < 0 || n <= failures {
			return fmt.Errorf("boom %d", n)
		}
		return nil
	}
}

func (l *attemptLog) get(id string) (starts, ends []time.Time, attempts []int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.starts[id]), slices.Clone(l.ends[id]), slices.Clone(l.attempts[id])
}

// checkBackoff asserts attempts 1..n were seen and each retry started at
// least BackoffBase/2 after the previous run ended.
func checkBackoff(t *testing.T, l *attemptLog, id string, n int, base time.Duration) {
	t.Helper()
	starts, ends, attempts := l.get(id)
	want := make([]int, n)
	for i := range want {
		want[i] = i + 1
	}
	if !slices.Equal(attempts, want) {
		t.Fatalf("job %s: handler saw Attempts %v; want %v", id, attempts, want)
	}
	for i := 1; i < len(starts); i++ {
		if gap := starts[i].Sub(ends[i-1]); gap < base/2-time.Millisecond {
			t.Errorf("job %s: retry %d started %v after the previous run; want >= %v (backoff)", id, i, gap, base/2)
		}
	}
}

// testRetryThenDeadLetter: a job that always fails runs MaxAttempts times
// with growing backoff, then lands in the dead-letter set with its error; a
// per-job MaxAttempts overrides the queue's.
func testRetryThenDeadLetter(t *testing.T, q server.Queue, opt Options) {
	typ := jobType(t, "failing")
	l := newAttemptLog()
	q.Register(typ, l.handler(-1))
	j := MustAdd(t, q, typ, `{}`, server.JobOptions{})
	once := MustAdd(t, q, typ, `{}`, server.JobOptions{MaxAttempts: 1})
	for _, c := range []struct {
		job  *server.Job
		want int
	}{{j, opt.MaxAttempts}, {once, 1}} {
		dead := waitState(t, q, c.job.ID, server.JobDead, 3*shortWait)
		if dead.Attempts != c.want || !strings.Contains(dead.Error, "boom") || dead.FailedAt == nil {
			t.Errorf("dead job: got attempts=%d error=%q failedAt=%v; want %d, containing boom, set",
				dead.Attempts, dead.Error, dead.FailedAt, c.want)
		}
		checkBackoff(t, l, c.job.ID, c.want, opt.BackoffBase)
	}
	eventually(t, shortWait, func() (bool, string) {
		st := MustStats(t, q)
		return st.Failed == 2, fmt.Sprintf("stats: got failed=%d; want 2", st.Failed)
	})
	if dl, ok := q.(DeadLetterer); ok {
		jobs, err := dl.DeadLetters(context.Background(), 10)
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]string, len(jobs))
		for i, dj := range jobs {
			ids[i] = dj.ID
		}
		if len(ids) != 2 || !slices.Contains(ids, j.ID) || !slices.Contains(ids, once.ID) {
			t.Errorf("DeadLetters: got %v; want %s and %s", ids, j.ID, once.ID)
		}
	}
}

func testRetryThenSucceed(t *testing.T, q server.Queue, opt Options) {
	typ := jobType(t, "flaky")
	l := newAttemptLog()
	q.Register(typ, l.handler(2))
	j := MustAdd(t, q, typ, `{}`, server.JobOptions{})
	done := waitState(t, q, j.ID, server.JobCompleted, 3*shortWait)
	if done.Attempts != 3 {
		t.Errorf("completed job: got attempts=%d; want 3", done.Attempts)
	}
	checkBackoff(t, l, j.ID, 3, opt.BackoffBase)
}

// testUnknownType: a job whose type has no handler fails (and, with one
// attempt allowed, is dead-lettered with an error).
func testUnknownType(t *testing.T, q server.Queue, _ Options) {
	j := MustAdd(t, q, jobType(t, "nohandler"), `{}`, server.JobOptions{MaxAttempts: 1})
	dead := waitState(t, q, j.ID, server.JobDead, shortWait)
	if dead.Error == "" || dead.Attempts != 1 {
		t.Errorf("got error=%q attempts=%d; want an error and 1", dead.Error, dead.Attempts)
	}
}

// testDelayed: a delayed job is not run before its delay; a job added after
// it without delay runs first.
func testDelayed(t *testing.T, q server.Queue, _ Options) {
	typ := jobType(t, "delayed")
	ran := make(chan string, 2)
	runAt := map[string]time.Time{}
	var mu sync.Mutex
	q.Register(typ, func(_ context.Context, j *server.Job) error {
		mu.Lock()
		runAt[j.ID] = time.Now()
		mu.Unlock()
		ran <- j.ID
		return nil
	})
	const delay = 500 * time.Millisecond
	start := time.Now()
	later := MustAdd(t, q, typ, `{}`, server.JobOptions{Delay: delay})
	if j := MustJob(t, q, later.ID); j.State != server.JobDelayed && time.Since(start) < delay {
		t.Errorf("delayed job: got state %q; want %q", j.State, server.JobDelayed)
	}
	if st := MustStats(t, q); st.Delayed != 1 && time.Since(start) < delay {
		t.Errorf("stats: got delayed=%d; want 1", st.Delayed)
	}
	now := MustAdd(t, q, typ, `{}`, server.JobOptions{})
	first := recv(t, ran, shortWait, "job run")
	second := recv(t, ran, shortWait, "delayed job run")
	if first != now.ID || second != later.ID {
		t.Errorf("run order: got %s, %s; want the undelayed %s first", first, second, now.ID)
	}
	mu.Lock()
	defer mu.Unlock()
	if el := runAt[later.ID].Sub(start); el < delay {
		t.Errorf("delayed job ran %v after AddJob; want >= %v", el, delay)
	}
}

// testStats: the counters follow jobs through pending, processing, delayed
// and completed.
func testStats(t *testing.T, q server.Queue, _ Options) {
	b := newBlocker(t, q)
	typ := jobType(t, "counted")
	q.Register(typ, func(context.Context, *server.Job) error { return nil })
	b.start(t, q)
	for range 3 {
		MustAdd(t, q, typ, `{}`, server.JobOptions{})
	}
	MustAdd(t, q, typ, `{}`, server.JobOptions{Delay: time.Hour})
	want := server.QueueStats{Pending: 3, Processing: 1, Delayed: 1}
	eventually(t, shortWait, func() (bool, string) {
		st := MustStats(t, q)
		return st == want, fmt.Sprintf("stats: got %+v; want %+v", st, want)
	})
	b.Release()
	want = server.QueueStats{Completed: 4, Delayed: 1}
	eventually(t, shortWait, func() (bool, string) {
		st := MustStats(t, q)
		return st == want, fmt.Sprintf("stats: got %+v; want %+v", st, want)
	})
}

// testJobStates: Job follows a job through processing, pending and
// completed; an unknown id answers ENOTFOUND.
func testJobStates(t *testing.T, q server.Queue, _ Options) {
	b := newBlocker(t, q)
	typ := jobType(t, "stateful")
	q.Register(typ, func(context.Context, *server.Job) error { return nil })
	running := b.start(t, q)
	j := waitState(t, q, running.ID, server.JobProcessing, shortWait)
	if j.Attempts != 1 || j.ProcessedAt == nil || j.CompletedAt != nil {
		t.Errorf("processing job: got attempts=%d processedAt=%v completedAt=%v; want 1, set, nil", j.Attempts, j.ProcessedAt, j.CompletedAt)
	}
	waiting := MustAdd(t, q, typ, `{"x":1}`, server.JobOptions{Priority: 3})
	if j := MustJob(t, q, waiting.ID); j.State != server.JobPending || j.Attempts != 0 || j.Priority != 3 {
		t.Errorf("waiting job: got state=%q attempts=%d priority=%d; want pending, 0, 3", j.State, j.Attempts, j.Priority)
	}
	b.Release()
	waitState(t, q, running.ID, server.JobCompleted, shortWait)
	waitState(t, q, waiting.ID, server.JobCompleted, shortWait)
	for _, id := range []string{"00000000-0000-4000-8000-000000000000", "not-a-job-id", ""} {
		_, err := q.Job(context.Background(), id)
		if !server.IsNotFound(err) {
			t.Errorf("Job(%q): got %v; want ENOTFOUND", id, err)
		}
	}
}

func testInvalidAdd(t *testing.T, q server.Queue, _ Options) {
	_, err := q.AddJob(context.Background(), "", []byte(`{}`), server.JobOptions{})
	if code := server.ErrorCode(err); code != server.EINVALID {
		t.Fatalf("AddJob with no type: got %v (code %q); want %q", err, code, server.EINVALID)
	}
}

// testCloseDrains: Close waits for running handlers to finish, then AddJob
// fails.
func testCloseDrains(t *testing.T, q server.Queue, _ Options) {
	typ := jobType(t, "slow")
	started := make(chan struct{}, 2)
	var finished atomic.Int32
	q.Register(typ, func(context.Context, *server.Job) error {
		started <- struct{}{}
		time.Sleep(300 * time.Millisecond) // the work being drained
		finished.Add(1)
		return nil
	})
	MustAdd(t, q, typ, `{}`, server.JobOptions{})
	MustAdd(t, q, typ, `{}`, server.JobOptions{})
	recv(t, started, shortWait, "first start")
	recv(t, started, shortWait, "second start")
	ctx, cancel := context.WithTimeout(context.Background(), shortWait)
	defer cancel()
	if err := q.Close(ctx); err != nil {
		t.Fatalf("Close: got %v; want nil", err)
	}
	if got := finished.Load(); got != 2 {
		t.Fatalf("handlers finished when Close returned: got %d; want 2", got)
	}
	if _, err := q.AddJob(context.Background(), typ, []byte(`{}`), server.JobOptions{}); err == nil {
		t.Fatal("AddJob after Close: got nil error; want one")
	}
}

// testCloseAbandons: when ctx ends before a handler does, Close returns an
// error soon after instead of waiting.
func testCloseAbandons(t *testing.T, q server.Queue, _ Options) {
	b := newBlocker(t, q)
	b.start(t, q)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := q.Close(ctx)
	if err == nil {
		t.Fatal("Close with a stuck handler: got nil; want an error once ctx ended")
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("Close returned after %v; want soon after its 200ms ctx", el)
	}
}

// testThousandJobsOnce: 1,000 jobs added concurrently each complete exactly
// once; every 100th panics on its first run and is retried (a panic does not
// kill a worker).
func testThousandJobsOnce(t *testing.T, q server.Queue, _ Options) {
	const n = 1000
	typ := jobType(t, "bulk")
	var runs [n]atomic.Int32
	var done atomic.Int32
	q.Register(typ, func(_ context.Context, j *server.Job) error {
		var d struct{ I int }
		if err := json.Unmarshal(j.Data, &d); err != nil || d.I < 0 || d.I >= n {
			return errors.Join(errors.New("bad data "+string(j.Data)), err)
		}
		if d.I%100 == 0 && j.Attempts == 1 {
			panic("first attempt of a panicking job")
		}
		if runs[d.I].Add(1) == 1 {
			done.Add(1)
		}
		return nil
	})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				if _, err := q.AddJob(context.Background(), typ, fmt.Appendf(nil, `{"i":%d}`, i), server.JobOptions{}); err != nil {
					t.Errorf("AddJob %d: %v", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	eventually(t, longWait, func() (bool, string) {
		return done.Load() == n, fmt.Sprintf("jobs done: got %d; want %d", done.Load(), n)
	})
	eventually(t, shortWait, func() (bool, string) {
		st := MustStats(t, q)
		return st.Pending == 0 && st.Processing == 0 && st.Delayed == 0, fmt.Sprintf("stats: got %+v; want nothing pending, processing or delayed", st)
	})
	for i := range runs {
		if got := runs[i].Load(); got != 1 {
			t.Errorf("job %d: completed %d times; want 1", i, got)
		}
	}
}
