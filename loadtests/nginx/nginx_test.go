package nginx_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/loadtests/loadgen"
	"github.com/echosenseix/echosenseix/loadtests/nginx"
)

func TestRender(t *testing.T) {
	b, err := nginx.Render(18080, "/tmp/x")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"listen 127.0.0.1:18080", "worker_processes 2;", "pid /tmp/x/nginx.pid;", `return 200 "ok";`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("nginx.conf lacks %q", want)
		}
	}
	if strings.Contains(string(b), "{{") {
		t.Error("nginx.conf has unrendered template fields")
	}
}

// TestGeneratorAgainstNginx runs the generator for 1 s against nginx: it
// must get answers without errors (a smoke check of the ceiling setup, not
// a measurement).
func TestGeneratorAgainstNginx(t *testing.T) {
	stack.Tool(t, "nginx", "nginx-light")
	s, err := nginx.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	res, err := loadgen.RunFixed(context.Background(), loadgen.FixedConfig{URL: s.URL, Conns: 16, Duration: time.Second, ServerPID: s.PID()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests < 1000 || res.Errors != 0 || res.ServerCPUSeconds <= 0 {
		t.Errorf("got %d requests, %d errors, server CPU %v s; want >= 1000, 0, > 0", res.Requests, res.Errors, res.ServerCPUSeconds)
	}
}
