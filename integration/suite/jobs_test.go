package suite_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/integration/harness"
)

// TestJobsAcrossInstances: with QUEUE_PROVIDER=redis on both instances,
// documents submitted across A and B are each processed exactly once: the
// document ends "processed" and its job "completed" after one attempt. The
// 10,000-job run is server/redis/queue's; this one goes through
// the real binaries and HTTP.
func TestJobsAcrossInstances(t *testing.T) {
	const docs, submitters = 1000, 8
	d := deploy(t, 2, 1, 1, 1, redisProviders)
	insts := d.Insts
	c := harness.Login(t, insts[0], d.User.Email, d.User.Password)

	type sub struct{ docID, jobID string }
	subs := make([]sub, docs)
	errs := newTally()
	var lat latencies
	var mu sync.Mutex
	start := time.Now()
	var wg sync.WaitGroup
	for w := range submitters {
		wg.Go(func() {
			for k := w; k < docs; k += submitters {
				inst := insts[k%len(insts)]
				body := map[string]string{"title": fmt.Sprintf("doc %d", k), "content": fmt.Sprintf("  hello   world %d  ", k)}
				r, err := c.Do("POST", inst.URL+"/api/documents", body)
				if !errs.add("POST /api/documents on "+inst.Name, r, err, 202) {
					continue
				}
				var ans struct{ DocumentID, JobID string }
				if err := r.JSON(&ans); err != nil || ans.DocumentID == "" || ans.JobID == "" {
					errs.add("decode", nil, fmt.Errorf("bad 202 answer %s: %v", r, err))
					continue
				}
				subs[k] = sub{ans.DocumentID, ans.JobID}
				mu.Lock()
				lat = append(lat, r.Latency)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	t.Logf("submitted %d documents across %d instances in %v; POST latency %v", docs, len(insts), time.Since(start).Round(time.Millisecond), lat)
	if bad := errs.count(func(s int) bool { return s != 202 }); bad > 0 {
		t.Fatalf("%d submissions failed: %v", bad, errs)
	}

	// Wait until every document is processed (read on alternating instances).
	pending := make(map[int]bool, docs)
	for k := range subs {
		pending[k] = true
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(pending) > 0 && time.Now().Before(deadline) {
		for k := range pending {
			var doc struct{ Status, JobID, Entry string }
			r := c.Must(t, 200, "GET", insts[k%2].URL+"/api/documents/"+subs[k].docID, nil)
			if err := r.JSON(&doc); err != nil {
				t.Fatal(err)
			}
			switch doc.Status {
			case "processed":
				if doc.JobID != subs[k].jobID || doc.Entry != fmt.Sprintf("hello world %d", k) {
					t.Errorf("document %d = %+v; want job %s and entry %q", k, doc, subs[k].jobID, fmt.Sprintf("hello world %d", k))
				}
				delete(pending, k)
			case "failed":
				t.Fatalf("document %d failed: %s", k, r.Body)
			}
		}
		if len(pending) > 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if len(pending) > 0 {
		t.Fatalf("%d of %d documents not processed within 60s", len(pending), docs)
	}
	t.Logf("all %d documents processed %v after the first submission", docs, time.Since(start).Round(time.Millisecond))

	// Exactly once: every job completed after a single attempt.
	attempts := map[int]int{}
	for k, s := range subs {
		var j struct {
			State    string `json:"state"`
			Attempts int    `json:"attempts"`
		}
		if err := c.Must(t, 200, "GET", insts[(k+1)%2].URL+"/api/jobs/"+s.jobID, nil).JSON(&j); err != nil {
			t.Fatal(err)
		}
		attempts[j.Attempts]++
		if j.State != "completed" || j.Attempts != 1 {
			t.Errorf("job of document %d = state %q attempts %d; want completed after 1", k, j.State, j.Attempts)
		}
	}
	t.Logf("jobs by attempts: %v", attempts)
}
