package wsload

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Goals of the proofs.
const (
	GoalP99          = 250 * time.Millisecond // fan-out p99
	GoalBytesPerConn = 16 << 10               // server memory per WebSocket
)

// Report is the outcome of one run (report.json; report.md renders it).
type Report struct {
	Name        string    `json:"name"`
	Mode        string    `json:"mode"`
	Started     time.Time `json:"started"`
	Target      string    `json:"target"`
	Conns       int       `json:"conns"`
	Procs       int       `json:"procs"`
	Addrs       []string  `json:"addrs"`
	BigOrgConns int       `json:"bigOrgConns,omitempty"`
	Orgs        int       `json:"orgs,omitempty"`
	Users       int       `json:"users,omitempty"` // tokens in use

	RampSeconds   float64 `json:"rampSeconds"`   // until every connection was held (or the ramp timeout)
	SettleSeconds float64 `json:"settleSeconds"` // sockets held, no events, between ramp and hold
	HoldSeconds   float64 `json:"holdSeconds"`
	PeakHeld      int     `json:"peakHeld"`
	HeldAtEnd     int     `json:"heldAtEnd"` // just before the tool closed them

	UnexpectedDrops int            `json:"unexpectedDrops"`
	Drops           map[string]int `json:"drops,omitempty"` // by close code; 1006 = closed without a close frame
	DialErrors      int            `json:"dialErrors"`      // retried
	Handshake       map[string]int `json:"handshake,omitempty"`

	WebhooksSent   int            `json:"webhooksSent,omitempty"`
	WebhooksOK     int            `json:"webhooksOk,omitempty"`
	WebhookErrors  map[string]int `json:"webhookErrors,omitempty"`
	EventsReceived uint64         `json:"eventsReceived,omitempty"`
	EventsExpected uint64         `json:"eventsExpected,omitempty"` // webhooksOk x big-organization sockets
	Missing        uint64         `json:"missing"`                  // deliveries that never arrived
	ConnsShort     int            `json:"connsShort"`               // sockets that missed one or more
	BigConns       int            `json:"bigConns,omitempty"`
	Dups           uint64         `json:"dups,omitempty"`
	Received       map[string]int `json:"receivedPerConn,omitempty"` // events received -> big-organization sockets
	Shortfalls     []Shortfall    `json:"shortfalls,omitempty"`      // events some sockets never received (first 50)

	Latency LatencySummary `json:"latency"` // ws: fan-out; http: response time

	Requests   uint64         `json:"requests,omitempty"`
	HTTPErrors map[string]int `json:"httpErrors,omitempty"`

	Server    ServerMemory `json:"server"`
	Generator Generator    `json:"generator"`
	LoadAvg   []string     `json:"loadAvg"` // start, after ramp, end
	Timeline  []Sample     `json:"timeline"`
	Goals     []Goal       `json:"goals"`
	Pass      bool         `json:"pass"`
}

// Shortfall is an event that did not reach every big-organization socket.
type Shortfall struct {
	Seq      int `json:"seq"` // 1 = first webhook of the hold
	Received int `json:"received"`
	Want     int `json:"want"`
}

// LatencySummary are percentiles in milliseconds.
type LatencySummary struct {
	Count uint64  `json:"count"`
	P50   float64 `json:"p50Ms"`
	P90   float64 `json:"p90Ms"`
	P99   float64 `json:"p99Ms"`
	Max   float64 `json:"maxMs"`
	Mean  float64 `json:"meanMs"`
}

func summarize(h *Histogram) LatencySummary {
	return LatencySummary{Count: h.Count(), P50: msOf(h.Quantile(0.5)), P90: msOf(h.Quantile(0.9)), P99: msOf(h.Quantile(0.99)),
		Max: msOf(float64(h.Max())), Mean: msOf(h.Mean())}
}

// ServerMemory is the server's RSS before connecting and while holding.
type ServerMemory struct {
	PID          int            `json:"pid,omitempty"`
	Workers      []WorkerMemory `json:"workers,omitempty"`
	RSSBeforeKB  int64          `json:"rssBeforeKb"`
	RSSHoldKB    int64          `json:"rssHoldKb"`
	BytesPerConn float64        `json:"bytesPerConn"` // (hold - before) / connections held
	CPUBefore    float64        `json:"-"`
	CPUSeconds   float64        `json:"cpuSeconds"` // workers' CPU time from before connecting to the end of the hold
}

// WorkerMemory is one server process.
type WorkerMemory struct {
	PID         int   `json:"pid"`
	RSSBeforeKB int64 `json:"rssBeforeKb"`
	RSSHoldKB   int64 `json:"rssHoldKb"`
	FDsHold     int   `json:"fdsHold"` // open descriptors while holding (~ its connections)
}

// Generator is the load tool's own cost.
type Generator struct {
	Procs        int     `json:"procs"`
	CPUSeconds   float64 `json:"cpuSeconds"`   // children + coordinator
	CPUPercent   float64 `json:"cpuPercent"`   // of one core, over the run
	RSSPeakKB    int64   `json:"rssPeakKb"`    // children's VmHWM summed + coordinator's
	BytesPerConn float64 `json:"bytesPerConn"` // generator RSS / connections
}

// Sample is one point of the timeline.
type Sample struct {
	T           float64 `json:"t"` // seconds since start
	Held        int     `json:"held"`
	Drops       int     `json:"drops"`
	Events      uint64  `json:"events,omitempty"`
	Requests    uint64  `json:"requests,omitempty"`
	ServerRSSKB int64   `json:"serverRssKb,omitempty"`
	P99Ms       float64 `json:"p99Ms"` // over this interval only
	MaxMs       float64 `json:"maxMs"` // over this interval only (bucket bound)
}

// Goal is one pass/fail criterion.
type Goal struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	OK   bool   `json:"ok"`
}

// evaluate fills Goals and Pass.
func (r *Report) evaluate() {
	add := func(name, want, got string, ok bool) { r.Goals = append(r.Goals, Goal{name, want, got, ok}) }
	add("connections held", fmt.Sprintf(">= %d", r.Conns), fmt.Sprint(r.PeakHeld), r.PeakHeld >= r.Conns)
	add("held until the end", fmt.Sprintf("%d", r.Conns), fmt.Sprint(r.HeldAtEnd), r.HeldAtEnd >= r.Conns)
	add("unexpected drops", "0", fmt.Sprint(r.UnexpectedDrops), r.UnexpectedDrops == 0)
	switch r.Mode {
	case ModeWS:
		add("webhooks accepted", fmt.Sprintf("%d of %d", r.WebhooksSent, r.WebhooksSent), fmt.Sprint(r.WebhooksOK),
			r.WebhooksSent > 0 && r.WebhooksOK == r.WebhooksSent)
		add("missing deliveries", fmt.Sprintf("0 over %d sockets", r.BigOrgConns),
			fmt.Sprintf("%d over %d sockets", r.Missing, r.BigConns), r.Missing == 0 && r.BigConns == r.BigOrgConns)
		add("fan-out p99", fmt.Sprintf("<= %d ms", GoalP99.Milliseconds()), fmt.Sprintf("%.1f ms", r.Latency.P99),
			r.Latency.Count > 0 && r.Latency.P99 <= float64(GoalP99.Milliseconds()))
		if r.Server.PID > 0 {
			add("server memory per connection", fmt.Sprintf("<= %d B", GoalBytesPerConn),
				fmt.Sprintf("%.0f B", r.Server.BytesPerConn), r.Server.BytesPerConn <= GoalBytesPerConn)
		}
	case ModeHTTP:
		n := 0
		for _, v := range r.HTTPErrors {
			n += v
		}
		add("http errors", "0", fmt.Sprint(n), n == 0 && r.Requests > 0)
	}
	r.Pass = true
	for _, g := range r.Goals {
		r.Pass = r.Pass && g.OK
	}
}

// Write writes report.json and report.md into dir.
func (r *Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create report dir: %w", err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("cannot encode report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("cannot write report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.md"), []byte(r.Markdown()), 0o644); err != nil {
		return fmt.Errorf("cannot write report: %w", err)
	}
	return nil
}

// Markdown renders the report.
func (r *Report) Markdown() string {
	var b strings.Builder
	verdict := "PASS"
	if !r.Pass {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "# wsload %s: %s — %s\n\n", r.Mode, r.Name, verdict)
	fmt.Fprintf(&b, "Started %s against `%s`: %d connections over %d generator processes and %d source addresses",
		r.Started.UTC().Format(time.RFC3339), r.Target, r.Conns, r.Procs, len(r.Addrs))
	if r.Mode == ModeWS {
		fmt.Fprintf(&b, "; %d organizations (one with %d sockets), %d tokens", r.Orgs, r.BigOrgConns, r.Users)
	}
	fmt.Fprintf(&b, ".\nRamp %.1f s, settle %.0f s, hold %.1f s. Load average (1/5/15 min) at start, after ramp, at end: %s.\n\n",
		r.RampSeconds, r.SettleSeconds, r.HoldSeconds, strings.Join(r.LoadAvg, " | "))
	b.WriteString("## Goals\n\n| goal | want | got | ok |\n|---|---|---|---|\n")
	for _, g := range r.Goals {
		ok := "yes"
		if !g.OK {
			ok = "**NO**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", g.Name, g.Want, g.Got, ok)
	}
	b.WriteString("\n## Connections\n\n")
	fmt.Fprintf(&b, "- peak held %d, held at the end %d, unexpected drops %d %s\n", r.PeakHeld, r.HeldAtEnd, r.UnexpectedDrops, fmtMap(r.Drops))
	fmt.Fprintf(&b, "- dial or handshake errors (retried) %d %s\n", r.DialErrors, fmtMap(r.Handshake))
	if r.Mode == ModeWS {
		b.WriteString("\n## Fan-out\n\n")
		fmt.Fprintf(&b, "- webhooks sent %d, accepted %d %s\n", r.WebhooksSent, r.WebhooksOK, fmtMap(r.WebhookErrors))
		fmt.Fprintf(&b, "- call_completed received %d of %d expected (%d sockets of the big organization); missing %d on %d sockets; out of order %d\n",
			r.EventsReceived, r.EventsExpected, r.BigConns, r.Missing, r.ConnsShort, r.Dups)
		for _, sf := range r.Shortfalls {
			fmt.Fprintf(&b, "- event %d reached %d of %d sockets\n", sf.Seq, sf.Received, sf.Want)
		}
		fmt.Fprintf(&b, "- latency webhook sent → event read, over %d deliveries: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms, mean %.1f ms\n",
			r.Latency.Count, r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.Max, r.Latency.Mean)
	} else {
		b.WriteString("\n## Requests\n\n")
		fmt.Fprintf(&b, "- answered %d, errors %d %s\n", r.Requests, sumMap(r.HTTPErrors), fmtMap(r.HTTPErrors))
		fmt.Fprintf(&b, "- response time p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
			r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.Max)
	}
	b.WriteString("\n## Server memory\n\n")
	if r.Server.PID == 0 {
		b.WriteString("not measured (no --server-pid)\n")
	} else {
		fmt.Fprintf(&b, "RSS of the server's worker processes (primary pid %d): %.1f MiB before connecting (and before the logins), %.1f MiB while holding %d connections: **%.0f bytes per connection**. Workers' CPU time over the run: %.1f s.\n\n",
			r.Server.PID, kib(r.Server.RSSBeforeKB), kib(r.Server.RSSHoldKB), r.HeldAtEnd, r.Server.BytesPerConn, r.Server.CPUSeconds)
		b.WriteString("| pid | RSS before (MiB) | RSS holding (MiB) | open fds holding |\n|---|---|---|---|\n")
		for _, w := range r.Server.Workers {
			fmt.Fprintf(&b, "| %d | %.1f | %.1f | %d |\n", w.PID, kib(w.RSSBeforeKB), kib(w.RSSHoldKB), w.FDsHold)
		}
	}
	b.WriteString("\n## Generator\n\n")
	fmt.Fprintf(&b, "%d processes: %.1f CPU seconds (%.0f %% of one core over the run), peak RSS %.1f MiB (%.0f bytes per connection).\n",
		r.Generator.Procs, r.Generator.CPUSeconds, r.Generator.CPUPercent, kib(r.Generator.RSSPeakKB), r.Generator.BytesPerConn)
	b.WriteString("\n## Timeline\n\nLatency columns cover the interval since the previous line.\n\n| t (s) | held | drops | events | requests | server RSS (MiB) | p99 (ms) | max (ms) |\n|---|---|---|---|---|---|---|---|\n")
	for _, s := range r.Timeline {
		fmt.Fprintf(&b, "| %.0f | %d | %d | %d | %d | %.1f | %.1f | %.1f |\n", s.T, s.Held, s.Drops, s.Events, s.Requests,
			kib(s.ServerRSSKB), s.P99Ms, s.MaxMs)
	}
	return b.String()
}

func kib(kb int64) float64 { return float64(kb) / 1024 }

func fmtMap(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
