package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progress is the live status line: on a terminal it is rewritten in place;
// elsewhere (CI logs) each status is its own line. Log prints a permanent
// line above it.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	start time.Time
	shown time.Time // last status printed when not on a terminal
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

// Status replaces the live line (off a terminal: at most one line per 5 s).
func (p *progress) Status(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.tty && time.Since(p.shown) < 5*time.Second {
		return
	}
	p.shown = time.Now()
	line := fmt.Sprintf("[%s] ", time.Since(p.start).Round(time.Second)) + fmt.Sprintf(format, args...)
	if p.tty {
		if len(line) > 150 {
			line = line[:150]
		}
		fmt.Fprintf(p.w, "\r\033[K%s", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
}

// Log prints a permanent line.
func (p *progress) Log(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
	fmt.Fprintf(p.w, format+"\n", args...)
}

// Done clears the live line.
func (p *progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
