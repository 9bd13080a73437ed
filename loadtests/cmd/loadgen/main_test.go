package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.json"), filepath.Join(dir, "bad.json")
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no command", nil, 2},
		{"unknown command", []string{"bogus"}, 2},
		{"fixed without url", []string{"fixed"}, 2},
		{"fixed passes", []string{"fixed", "--url", srv.URL + "/", "--conns", "2", "--duration", "300ms", "--json", good}, 0},
		{"fixed with errors fails", []string{"fixed", "--url", srv.URL + "/slow", "--conns", "2", "--duration", "300ms", "--json", bad}, 1},
		{"rate passes", []string{"rate", "--url", srv.URL + "/", "--rate", "200", "--duration", "300ms"}, 0},
		{"run without seed", []string{"run", "--tier", "smoke", "--seed", filepath.Join(dir, "missing.json")}, 2},
		{"run unknown tier", []string{"run", "--tier", "1m"}, 2},
		{"compare same", []string{"compare", good, good}, 0},
		{"compare regression", []string{"compare", good, bad, "--tolerance", "10%"}, 1},
		{"compare one file", []string{"compare", good}, 2},
		{"compare bad tolerance", []string{"compare", good, good, "--tolerance", "x"}, 2},
		{"report without dir", []string{"report"}, 2},
		{"report of a dir without results", []string{"report", t.TempDir()}, 2},
	}
	for _, tc := range tests {
		code, out, errOut := runCmd(tc.args...)
		if code != tc.want {
			t.Errorf("%s: got exit %d; want %d\nstdout: %s\nstderr: %s", tc.name, code, tc.want, out, errOut)
		}
	}
}

func TestParseTolerance(t *testing.T) {
	tests := []struct {
		in   string
		want float64
	}{{"10%", 0.10}, {"0.25", 0.25}, {"5.5%", 0.055}}
	for _, tc := range tests {
		got, err := parseTolerance(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseTolerance(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}
