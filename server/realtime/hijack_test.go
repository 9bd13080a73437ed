package realtime

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	hzserver "github.com/cloudwego/hertz/pkg/app/server"
	"github.com/cloudwego/hertz/pkg/network"
	"github.com/cloudwego/hertz/pkg/network/netpoll"
)

// hijacked is what the hijack handler saw.
type hijacked struct {
	wrapper string // dynamic type hertz handed the handler
	ok      bool   // unwrapHijacked found the connection underneath
	same    bool   // unwrapHijacked returned nc itself
}

// TestUnwrapHijackedThroughHertz hijacks through a real hertz engine on the
// transport the API runs (netpoll) and pins the reflection in
// unwrapHijacked to hertz's internals: the handler gets a
// *route.hijackConn whose Conn field is the socket. A hertz upgrade that
// renames the type, moves its package or drops the field fails here, not as
// broadcasts written into a recycled wrapper in production. It also proves
// why the unwrap matters: the wrapper's Close leaves the socket open, the
// inner Close ends it.
func TestUnwrapHijackedThroughHertz(t *testing.T) {
	seen := make(chan hijacked, 1)
	addr := hijackServer(t, func(nc network.Conn) {
		inner, ok := unwrapHijacked(nc)
		seen <- hijacked{wrapper: fmt.Sprintf("%T", nc), ok: ok, same: inner == nc}
		_ = nc.Close() // the wrapper's: must not end the socket
		if _, err := inner.WriteBinary([]byte("after-wrapper-close\n")); err == nil {
			_ = inner.Flush()
		}
		_ = inner.Close()
	})
	c, r := hijackRequest(t, addr)
	defer c.Close()
	var h hijacked
	select {
	case h = <-seen:
	case <-time.After(5 * time.Second):
		t.Fatal("hijack handler did not run within 5s")
	}
	if h.wrapper != "*route.hijackConn" || !h.ok || h.same {
		t.Fatalf("hertz handed %s, unwrap ok=%v same=%v; want *route.hijackConn unwrapped to its Conn (update unwrapHijacked for this hertz)",
			h.wrapper, h.ok, h.same)
	}
	line, err := r.ReadString('\n')
	if err != nil || line != "after-wrapper-close\n" {
		t.Fatalf("read after the wrapper's Close = %q, %v; want the inner write (the wrapper's Close must not close the socket)", line, err)
	}
	if _, err := r.ReadByte(); err != io.EOF {
		t.Fatalf("read after the inner Close: %v; want EOF (the inner Close must end the socket)", err)
	}
}

func TestUnwrapHijackedLeavesOtherConns(t *testing.T) {
	var nc network.Conn = &fakeNetworkConn{}
	if inner, ok := unwrapHijacked(nc); ok || inner != nc {
		t.Fatalf("unwrapHijacked(%T) = %T, %v; want the conn itself, false", nc, inner, ok)
	}
	if inner, ok := unwrapHijacked(nil); ok || inner != nil {
		t.Fatalf("unwrapHijacked(nil) = %v, %v; want nil, false", inner, ok)
	}
}

// fakeNetworkConn is a network.Conn that is not hertz's wrapper.
type fakeNetworkConn struct{ network.Conn }

// hijackServer runs a hertz engine on 127.0.0.1 whose /h hijacks into fn.
func hijackServer(t *testing.T, fn func(network.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("cannot listen: %v", err)
	}
	h := hzserver.New(hzserver.WithListener(ln), hzserver.WithDisablePrintRoute(true),
		hzserver.WithExitWaitTime(time.Second), hzserver.WithTransport(netpoll.NewTransporter))
	h.GET("/h", func(ctx context.Context, c *app.RequestContext) {
		c.Hijack(fn)
		c.SetStatusCode(101)
	})
	go func() { _ = h.Run() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.Shutdown(ctx)
	})
	return ln.Addr().String()
}

// hijackRequest sends GET /h and reads the response head.
func hijackRequest(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	var c net.Conn
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if c, err = net.DialTimeout("tcp", addr, time.Second); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("cannot dial hertz: %v", err)
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "GET /h HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
		t.Fatalf("cannot send request: %v", err)
	}
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("cannot read response head: %v", err)
		}
		if strings.TrimSpace(line) == "" {
			return c, r
		}
	}
}
