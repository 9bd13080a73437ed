package rawhttp

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestReadResponse(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		status  int
		body    string
		keep    bool
		cookies int
	}{
		{"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, "ok", true, 0},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n3;x=1\r\n!!!\r\n0\r\n\r\n", 200, "ok!!!", true, 0},
		{"close", "HTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 503, "", false, 0},
		{"http/1.0 until eof", "HTTP/1.0 200 OK\r\n\r\nabc", 200, "abc", false, 0},
		{"cookies", "HTTP/1.1 200 OK\r\nSet-Cookie: sid=1; Path=/\r\nset-cookie: x=2\r\nContent-Length: 0\r\n\r\n", 200, "", true, 2},
		{"204", "HTTP/1.1 204 No Content\r\n\r\n", 204, "", true, 0},
	}
	for _, tc := range tests {
		resp, keep, err := readResponse(bufio.NewReader(strings.NewReader(tc.raw)), true)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if resp.Status != tc.status || string(resp.Body) != tc.body || keep != tc.keep || len(resp.Cookies) != tc.cookies {
			t.Errorf("%s: got %d %q keep %v cookies %v; want %d %q keep %v %d cookies", tc.name, resp.Status, resp.Body, keep, resp.Cookies, tc.status, tc.body, tc.keep, tc.cookies)
		}
	}
	if _, _, err := readResponse(bufio.NewReader(strings.NewReader("garbage\r\n")), false); ErrorKind(classify(err)) != ErrParse {
		t.Errorf("garbage: got %v; want a protocol error", err)
	}
}

// rawServer answers every request on a connection with a fixed response.
func rawServer(tb testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					if _, err := http.ReadRequest(br); err != nil {
						return
					}
					if _, err := c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")); err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

func TestConnTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() { // accept and never answer
		c, err := l.Accept()
		if err == nil {
			defer c.Close()
			time.Sleep(2 * time.Second)
		}
	}()
	c := NewConn(Target{Addr: l.Addr().String(), Host: "x"}, 100*time.Millisecond)
	_, err = c.Do(context.Background(), BuildRequest("GET", Target{Host: "x"}, "/", nil, nil), false)
	if ErrorKind(err) != ErrTimeout {
		t.Errorf("got %v; want a timeout", err)
	}
}

func BenchmarkConnDo(b *testing.B) {
	addr := rawServer(b)
	t := Target{Addr: addr, Host: addr}
	req := BuildRequest("GET", t, "/", nil, nil)
	c := NewConn(t, 5*time.Second)
	defer c.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Do(ctx, req, false); err != nil {
			b.Fatal(err)
		}
	}
}
