package proof

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/echosenseix/echosenseix/loadtests/loadgen"
)

// Child modes of the proof binary: run inside a namespace by RunBurst.
const (
	ModeListen = "burst-listen"
	ModeDial   = "burst-dial"
)

// DialReport is one dialer process' figures.
type DialReport struct {
	Attempts  int64              `json:"attempts"`
	Connected int64              `json:"connected"`
	Errors    map[string]int64   `json:"errors"`
	Latency   *loadgen.Histogram `json:"latencyUs"`
}

// RunChild runs a child mode with its flags; it answers the exit code.
func RunChild(mode string, args []string, stdout, stderr io.Writer) int {
	switch mode {
	case ModeListen:
		return childListen(args, stdout, stderr)
	case ModeDial:
		return childDial(args, stdout, stderr)
	}
	fmt.Fprintf(stderr, "tuning-proof: unknown mode %q\n", mode)
	return 2
}

// childListen listens on 127.0.0.1:port (Go asks the kernel for a backlog
// of net.core.somaxconn), prints "listening", keeps its accept loop busy
// until start+busy, then accepts and closes until start+busy+accept.
func childListen(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(ModeListen, flag.ContinueOnError)
	port := fs.Int("port", 0, "port")
	start := fs.Int64("start", 0, "burst start, unix ns")
	busy := fs.Duration("busy", time.Second, "accept loop busy after start")
	accept := fs.Duration("accept", 6*time.Second, "accepting after busy")
	if fs.Parse(args) != nil {
		return 2
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(*port))
	if err != nil {
		fmt.Fprintln(stderr, "cannot listen:", err)
		return 1
	}
	defer ln.Close()
	fmt.Fprintln(stdout, "listening")
	t0 := time.Unix(0, *start)
	time.Sleep(time.Until(t0.Add(*busy)))
	_ = ln.(*net.TCPListener).SetDeadline(t0.Add(*busy + *accept))
	n := 0
	for {
		c, err := ln.Accept()
		if err != nil {
			break
		}
		n++
		c.Close()
	}
	fmt.Fprintf(stdout, "{\"accepted\":%d}\n", n)
	return 0
}

// childDial opens n connections to 127.0.0.1:port, evenly spread over
// spread from start, each bounded by timeout, timing each connect; it
// prints a DialReport.
func childDial(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(ModeDial, flag.ContinueOnError)
	port := fs.Int("port", 0, "port")
	n := fs.Int("n", 5000, "connections")
	start := fs.Int64("start", 0, "burst start, unix ns")
	spread := fs.Duration("spread", time.Second, "spread of the connects")
	timeout := fs.Duration("timeout", 3*time.Second, "connect timeout")
	if fs.Parse(args) != nil || *n < 1 || *n > 15000 {
		fmt.Fprintln(stderr, "burst-dial: want -n from 1 to 15000 (open-file limit)")
		return 2
	}
	rep := DialReport{Errors: map[string]int64{}, Latency: loadgen.NewHistogram()}
	var mu sync.Mutex
	var wg sync.WaitGroup
	addr := "127.0.0.1:" + strconv.Itoa(*port)
	t0 := time.Unix(0, *start)
	for i := 0; i < *n; i++ {
		at := t0.Add(time.Duration(int64(*spread) * int64(i) / int64(*n)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Until(at))
			began := time.Now()
			c, err := net.DialTimeout("tcp", addr, *timeout)
			d := time.Since(began)
			mu.Lock()
			defer mu.Unlock()
			rep.Attempts++
			if err != nil {
				rep.Errors[dialErrorKind(err)]++
				return
			}
			rep.Connected++
			rep.Latency.Record(d)
			c.Close()
		}()
	}
	wg.Wait()
	if err := json.NewEncoder(stdout).Encode(rep); err != nil {
		return 1
	}
	return 0
}

func dialErrorKind(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "no_port"
	case errors.Is(err, syscall.EMFILE):
		return "emfile"
	}
	return "other"
}
