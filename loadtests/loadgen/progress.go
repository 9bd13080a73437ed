package loadgen

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// ProgressLine formats the live line.
func ProgressLine(label string, elapsed time.Duration, users, sockets, conns int64, rps float64, errs, reqs int64, p99ms float64) string {
	rate := 0.0
	if reqs > 0 {
		rate = 100 * float64(errs) / float64(reqs)
	}
	return fmt.Sprintf("%s %4ds users=%d sockets=%d conns=%d rps=%.0f errors=%d (%.3f%%) p99=%.1fms",
		label, int(elapsed.Seconds()), users, sockets, conns, rps, errs, rate, p99ms)
}

// startTicker samples the collector's gauges every second and, when w is
// set, prints the live line (rewritten in place on a terminal, one line per
// second otherwise). The returned stop waits for the ticker to end.
func startTicker(ctx context.Context, col *Collector, w io.Writer, label func() string) (stop func()) {
	tctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	tty := w != nil && isTerminal(w)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		var lastReq int64
		last := time.Now()
		for {
			select {
			case <-tctx.Done():
				if tty {
					fmt.Fprintln(w)
				}
				return
			case now := <-tk.C:
				col.Sample(now)
				if w == nil {
					continue
				}
				reqs, errs := col.Totals()
				rps := float64(reqs-lastReq) / now.Sub(last).Seconds()
				lastReq, last = reqs, now
				sec := int(now.Sub(col.start)/time.Second) - 1
				line := ProgressLine(label(), now.Sub(col.start), col.Users.Load(), col.Sockets.Load(),
					col.Conns.Load(), rps, errs, reqs, col.SecondP99(sec)/1000)
				if tty {
					fmt.Fprint(w, "\r\033[K"+line)
				} else {
					fmt.Fprintln(w, line)
				}
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}
