package wsload

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func passingWS() *Report {
	h := &Histogram{}
	for i := range 100 {
		h.Record(time.Duration(i+1) * time.Millisecond)
	}
	return &Report{Name: "t", Mode: ModeWS, Conns: 10, PeakHeld: 10, HeldAtEnd: 10, BigOrgConns: 4, BigConns: 4,
		WebhooksSent: 3, WebhooksOK: 3, Latency: summarize(h), Server: ServerMemory{PID: 1, BytesPerConn: 6000}}
}

func TestReportGoals(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *Report)
		failed string // goal that must fail; "" = pass
	}{
		{"all held", func(*Report) {}, ""},
		{"short of target", func(r *Report) { r.PeakHeld, r.HeldAtEnd = 9, 9 }, "connections held"},
		{"drop", func(r *Report) { r.UnexpectedDrops = 1; r.HeldAtEnd = 9 }, "unexpected drops"},
		{"missing event", func(r *Report) { r.Missing = 1 }, "missing deliveries"},
		{"big org socket gone", func(r *Report) { r.BigConns = 3 }, "missing deliveries"},
		{"webhook refused", func(r *Report) { r.WebhooksOK = 2 }, "webhooks accepted"},
		{"slow fan-out", func(r *Report) { r.Latency.P99 = 251 }, "fan-out p99"},
		{"no events", func(r *Report) { r.Latency.Count = 0 }, "fan-out p99"},
		{"memory", func(r *Report) { r.Server.BytesPerConn = 17000 }, "server memory per connection"},
	}
	for _, tt := range tests {
		r := passingWS()
		tt.change(r)
		r.evaluate()
		var failed []string
		for _, g := range r.Goals {
			if !g.OK {
				failed = append(failed, g.Name)
			}
		}
		switch {
		case tt.failed == "" && (!r.Pass || len(failed) > 0):
			t.Errorf("%s: got failed goals %v; want pass", tt.name, failed)
		case tt.failed != "" && (r.Pass || !strings.Contains(strings.Join(failed, ","), tt.failed)):
			t.Errorf("%s: got pass %v, failed %v; want %q failed", tt.name, r.Pass, failed, tt.failed)
		}
	}
	h := &Report{Mode: ModeHTTP, Conns: 5, PeakHeld: 5, HeldAtEnd: 5, Requests: 50}
	h.evaluate()
	if !h.Pass {
		t.Errorf("http run without errors: got fail %+v; want pass", h.Goals)
	}
	h.HTTPErrors = map[string]int{"status 503": 1}
	h.Goals = nil
	h.evaluate()
	if h.Pass {
		t.Errorf("http run with an error: got pass; want fail")
	}
}

func TestReportWrite(t *testing.T) {
	r := passingWS()
	r.Server.Workers = []WorkerMemory{{PID: 2, RSSBeforeKB: 1024, RSSHoldKB: 2048, FDsHold: 7}}
	r.Drops = map[string]int{"1006": 2}
	r.evaluate()
	dir := t.TempDir()
	if err := r.Write(dir); err != nil {
		t.Fatalf("Write: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || back.Server.Workers[0].FDsHold != 7 || back.Drops["1006"] != 2 {
		t.Errorf("report.json round trip: %v %+v; want the report", err, back.Server)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	for _, want := range []string{"PASS", "fan-out p99", "| 2 | 1.0 | 2.0 | 7 |", "1006: 2"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}
}
