package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
)

// Timeouts of the instance lifecycle.
const (
	// ReadyTimeout bounds the wait for /health/ready after start (migrations
	// included).
	ReadyTimeout = 30 * time.Second
	// StopTimeout bounds the wait for exit after SIGTERM; past it the process
	// is killed and the test fails.
	StopTimeout = 20 * time.Second
	// logTail is how much of an instance's log a failing test prints.
	logTail = 16 << 10
)

// TokenSecret is the REALTIME_TOKEN_SECRET every instance gets unless the
// caller sets one: tokens from GET /api/realtime/token are then accepted by
// every instance of a test, as in a deployment with a shared secret.
const TokenSecret = "6563686f73656e736569782d696e746567726174696f6e2d746f6b656e2d6b6579"

// DefaultEnv are the settings of every instance, under the caller's. Small
// database pools: several suites share one Postgres (max_connections 100).
var DefaultEnv = map[string]string{
	"HOST":                     "127.0.0.1",
	"CLUSTER_ENABLED":          "false",
	"LOG_LEVEL":                "info",
	"DATABASE_MAX_CONNECTIONS": "8",
	"DATABASE_MIN_CONNECTIONS": "1",
	"CLUSTER_SHUTDOWN_TIMEOUT": "10000",
	"SHUTDOWN_DRAIN_DELAY":     "0", // suites of draining set their own
	"REALTIME_TOKEN_SECRET":    TokenSecret,
}

// inherited are the only variables taken from the test's environment.
var inherited = []string{"PATH", "HOME", "TMPDIR"}

var instanceSeq atomic.Int64

// Instance is one running `echosenseix serve` process.
type Instance struct {
	Name string            // "i1", "i2", ... in start order, used in logs
	Port int               // public port on 127.0.0.1
	URL  string            // "http://127.0.0.1:<Port>"
	Env  map[string]string // the full environment it was started with

	tb      testing.TB
	cmd     *exec.Cmd
	log     *logBuffer
	done    chan struct{} // closed when the process exited
	code    int           // exit code, valid after done
	stopped atomic.Bool   // Stop or Kill was called
}

// StartInstance starts `echosenseix serve` with DefaultEnv overlaid by env on
// a free port and waits until /health/ready answers 200 (ReadyTimeout). At
// cleanup it is stopped with SIGTERM and must exit 0; its log is printed
// when tb failed.
func StartInstance(tb testing.TB, env map[string]string) *Instance {
	tb.Helper()
	i := Launch(tb, env)
	if err := i.WaitReady(ReadyTimeout); err != nil {
		tb.Fatalf("harness: %s: %v\n%s", i.Name, err, i.LogTail())
	}
	return i
}

// StartInstances starts n instances with env at once and waits until all
// are ready.
func StartInstances(tb testing.TB, n int, env map[string]string) []*Instance {
	tb.Helper()
	is := make([]*Instance, n)
	for k := range is {
		is[k] = Launch(tb, env)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for k, i := range is {
		wg.Go(func() { errs[k] = i.WaitReady(ReadyTimeout) })
	}
	wg.Wait()
	for k, err := range errs {
		if err != nil {
			tb.Fatalf("harness: %s: %v\n%s", is[k].Name, err, is[k].LogTail())
		}
	}
	return is
}

// Launch starts the process without waiting for readiness (see WaitReady).
func Launch(tb testing.TB, env map[string]string) *Instance {
	tb.Helper()
	bin := Binary(tb)
	all := maps.Clone(DefaultEnv)
	maps.Copy(all, env)
	port := FreePort(tb)
	all["PORT"] = strconv.Itoa(port)
	i := &Instance{
		Name: "i" + strconv.FormatInt(instanceSeq.Add(1), 10),
		Port: port, URL: "http://127.0.0.1:" + strconv.Itoa(port), Env: all,
		tb: tb, log: &logBuffer{}, done: make(chan struct{}),
	}
	i.cmd = exec.Command(bin, "serve")
	i.cmd.Env = environ(all)
	i.cmd.Stdout = i.log
	i.cmd.Stderr = i.log
	if err := i.cmd.Start(); err != nil {
		tb.Fatalf("harness: cannot start %s: %v", bin, err)
	}
	go func() {
		err := i.cmd.Wait()
		i.code = exitCode(err)
		close(i.done)
	}()
	tb.Cleanup(i.cleanup)
	return i
}

// environ is the process environment: inherited variables, then all.
func environ(all map[string]string) []string {
	var out []string
	for _, k := range inherited {
		if v, ok := os.LookupEnv(k); ok {
			out = append(out, k+"="+v)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(all)) {
		out = append(out, k+"="+all[k])
	}
	return out
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return -1
}

// WaitReady polls GET /health/ready until it answers 200 or d passes; it
// fails at once if the process exits.
func (i *Instance) WaitReady(d time.Duration) error {
	return i.waitStatus("/health/ready", d, func(code int) bool { return code == 200 })
}

// waitStatus polls path until ok(status) or d passes.
func (i *Instance) waitStatus(path string, d time.Duration, ok func(int) bool) error {
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(d)
	last := "no answer"
	for time.Now().Before(deadline) {
		select {
		case <-i.done:
			return fmt.Errorf("exited with code %d before %s was ready", i.code, path)
		default:
		}
		resp, err := c.Get(i.URL + path)
		if err == nil {
			_ = resp.Body.Close()
			if ok(resp.StatusCode) {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready within %v (last: %s)", path, d, last)
}

// Done is closed when the process has exited.
func (i *Instance) Done() <-chan struct{} { return i.done }

// Signal sends sig to the process.
func (i *Instance) Signal(sig os.Signal) error { return i.cmd.Process.Signal(sig) }

// Stop sends SIGTERM and waits up to StopTimeout; it answers the exit code
// (killing the process and failing tb when it does not exit in time).
// Stopping twice answers the first exit code.
func (i *Instance) Stop() int {
	i.tb.Helper()
	if i.stopped.Swap(true) {
		<-i.done
		return i.code
	}
	select {
	case <-i.done:
		return i.code
	default:
	}
	_ = i.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-i.done:
		return i.code
	case <-time.After(StopTimeout):
		_ = i.cmd.Process.Kill()
		<-i.done
		i.tb.Errorf("harness: %s did not exit within %v of SIGTERM; killed\n%s", i.Name, StopTimeout, i.LogTail())
		return i.code
	}
}

// Kill sends SIGKILL and waits for the exit.
func (i *Instance) Kill() {
	i.stopped.Store(true)
	_ = i.cmd.Process.Kill()
	<-i.done
}

// cleanup stops the instance if the test did not, checks exit 0 and prints
// the log of a failed test.
func (i *Instance) cleanup() {
	wasStopped := i.stopped.Load()
	exited := false
	select {
	case <-i.done:
		exited = true
	default:
	}
	code := i.Stop()
	switch {
	case exited && !wasStopped:
		i.tb.Errorf("harness: %s exited on its own with code %d during the test", i.Name, code)
	case !wasStopped && code != 0:
		i.tb.Errorf("harness: %s exited with code %d after SIGTERM; want 0", i.Name, code)
	}
	if i.tb.Failed() {
		i.tb.Logf("harness: log of %s (%s, exit %d):\n%s", i.Name, i.URL, code, i.LogTail())
	}
}

// Log returns everything the process wrote to stdout and stderr so far.
func (i *Instance) Log() string { return i.log.String() }

// LogTail returns the last 16 KiB of the log.
func (i *Instance) LogTail() string {
	s := i.log.String()
	if len(s) > logTail {
		s = "...\n" + s[len(s)-logTail:]
	}
	return s
}

// logBuffer is a goroutine-safe, bounded (4 MiB) log sink.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

const maxLog = 4 << 20

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < maxLog {
		l.b.Write(p)
	}
	return len(p), nil
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// FreePort answers a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("harness: cannot find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// RedisURL is the REDIS_URL of a Redis at addr ("host:port").
func RedisURL(addr string) string { return stack.Redis{Addr: addr}.URL() }

// Metric answers the sum of the samples of the Prometheus metric name whose
// labels contain every "k=\"v\"" of match, from a /metrics text body.
func Metric(body []byte, name string, match ...string) float64 {
	var sum float64
	for line := range strings.Lines(string(body)) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, name) || strings.HasPrefix(line, "#") {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		labels := ""
		if rest[0] == '{' {
			end := strings.IndexByte(rest, '}')
			if end < 0 {
				continue
			}
			labels, rest = rest[1:end], rest[end+1:]
		}
		all := true
		for _, m := range match {
			if !strings.Contains(labels, m) {
				all = false
				break
			}
		}
		if !all {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(f[0], 64); err == nil {
			sum += v
		}
	}
	return sum
}
