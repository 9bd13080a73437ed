package load

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRawDriver(t *testing.T) {
	var hits, posts atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Method == "POST" {
			posts.Add(1)
		}
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	res, err := Raw{}.Run(context.Background(), Target{Addr: addr, Conns: 4, Duration: 300 * time.Millisecond,
		Paths: []string{"/a", "/missing"}, Header: []string{"Cookie: sid=x"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests < 10 || res.Errors != 0 || res.Non2xx < res.Requests/2-4 || res.Non2xx > res.Requests/2+4 {
		t.Errorf("got %+v; want many requests, no errors, half of them 404", res)
	}
	if res.Requests > hits.Load() || res.P99 <= 0 || res.RPS() <= 0 {
		t.Errorf("got %d requests, p99 %v, served %d; want requests <= served and p99 > 0", res.Requests, res.P99, hits.Load())
	}
	body := []byte(`{"x":1}`)
	res, err = Raw{}.Run(context.Background(), Target{Addr: addr, Conns: 2, Duration: 200 * time.Millisecond,
		Paths: []string{"/p"}, Body: func(int, uint64) ([]byte, []string) { return body, []string{"X-Sig: 1"} }})
	if err != nil || res.Requests == 0 || posts.Load() < res.Requests || res.Non2xx != 0 {
		t.Errorf("POST run: got %+v, %v, %d posts served; want requests, all 2xx", res, err, posts.Load())
	}
}

func TestRawDriverCountsErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: every dial fails
	res, err := Raw{}.Run(context.Background(), Target{Addr: addr, Conns: 2, Duration: 100 * time.Millisecond, Paths: []string{"/"}})
	if err != nil || res.Errors == 0 || res.Requests != 0 {
		t.Errorf("got %+v, %v; want errors and no requests", res, err)
	}
}

func TestParseWrk(t *testing.T) {
	out := []byte("Running 1s test\n  2 threads\nWRKJSON {\"requests\":1000,\"duration_us\":2000000,\"connect\":1,\"read\":2,\"write\":0,\"status\":7,\"timeout\":3,\"p50\":150,\"p90\":300,\"p99\":1200}\n")
	r, err := ParseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	want := Result{Requests: 1000, Non2xx: 7, Errors: 6, Elapsed: 2 * time.Second, P50: 150 * time.Microsecond, P90: 300 * time.Microsecond, P99: 1200 * time.Microsecond}
	if r != want || r.RPS() != 500 {
		t.Errorf("ParseWrk = %+v (rps %v); want %+v (rps 500)", r, r.RPS(), want)
	}
	if _, err := ParseWrk([]byte("nothing")); err == nil {
		t.Error("ParseWrk(nothing): got nil error; want one")
	}
	s := WrkScript([]string{"/a", "/b"}, []string{"Cookie: sid=abc"})
	for _, want := range []string{`wrk.headers["Cookie"] = "sid=abc"`, `"/a", "/b"`, "request = function()", "WRKJSON"} {
		if !strings.Contains(s, want) {
			t.Errorf("WrkScript lacks %q:\n%s", want, s)
		}
	}
}

func TestWrkDriver(t *testing.T) {
	w := Wrk{}
	if w.bin() == "" {
		t.Log("wrk not installed; the Wrk driver is not exercised")
		return
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Cookie") != "sid=abc" {
			w.WriteHeader(401)
		}
	}))
	defer srv.Close()
	res, err := w.Run(context.Background(), Target{Addr: srv.Listener.Addr().String(), Conns: 4, Duration: time.Second,
		Paths: []string{"/x", "/y"}, Header: []string{"Cookie: sid=abc"}})
	if err != nil || res.Requests == 0 || res.Non2xx != 0 || res.GenCPU <= 0 {
		t.Errorf("got %+v, %v; want requests, all 2xx, generator CPU > 0", res, err)
	}
}

func TestLoadgenDriver(t *testing.T) {
	var posts atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && r.Header.Get("X-Sig") == "1" {
			posts.Add(1)
			return
		}
		w.WriteHeader(503)
	}))
	defer srv.Close()
	tg := Target{Addr: srv.Listener.Addr().String(), Conns: 2, Duration: 300 * time.Millisecond, Paths: []string{"/hook"},
		Body: func(int, uint64) ([]byte, []string) { return []byte("{}"), []string{"X-Sig: 1"} }}
	if !(Loadgen{}).CanRun(tg) {
		t.Fatal("Loadgen cannot run a one-path target")
	}
	res, err := Loadgen{}.Run(context.Background(), tg)
	if err != nil || res.Requests == 0 || res.Non2xx != 0 || res.Errors != 0 || res.P99 <= 0 || posts.Load() < res.Requests {
		t.Errorf("POST run = %+v, %v (%d served); want signed POSTs, all 2xx", res, err, posts.Load())
	}
	res, err = Loadgen{}.Run(context.Background(), Target{Addr: tg.Addr, Conns: 1, Duration: 200 * time.Millisecond, Paths: []string{"/x"}})
	if err != nil || res.Requests == 0 || res.Non2xx != res.Requests {
		t.Errorf("GET run = %+v, %v; want every answer counted non-2xx (503)", res, err)
	}
}
