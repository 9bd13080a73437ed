package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/echosenseix/echosenseix/loadtests/loadgen"
)

func TestPlanCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"plan", "--tier", "100k", "--host-cores", "8"}, &out, &errb); code != loadgen.ExitPass {
		t.Fatalf("plan --tier 100k = %d: %s", code, errb.String())
	}
	for _, want := range []string{"100000 users", "100000 frames/s", "server cores:", "generator cores:", "hosts of 8 cores", "postgres connections: 400"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("plan output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if code := run(context.Background(), []string{"plan", "--users", "2000", "--think", "10", "--webhooks", "5", "--orgs", "4", "--sockets-per-user", "2"}, &out, &errb); code != loadgen.ExitPass {
		t.Fatalf("plan with flags = %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "4000 sockets, 5000 frames/s, 800 page requests/s") {
		t.Errorf("plan with flags:\n%s", out.String())
	}
	errb.Reset()
	if code := run(context.Background(), []string{"plan", "--users", "10"}, &out, &errb); code != loadgen.ExitUsage || !strings.Contains(errb.String(), "--think") {
		t.Errorf("plan without think/orgs = %d, %q; want usage", code, errb.String())
	}
}
