package loadgen

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// Percentiles of a latency distribution, in milliseconds.
type Percentiles struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// PercentilesOf reads h (µs) into milliseconds.
func PercentilesOf(h *Histogram) Percentiles {
	ms := func(us float64) float64 { return us / 1000 }
	return Percentiles{
		P50: ms(h.Quantile(0.50)), P90: ms(h.Quantile(0.90)), P95: ms(h.Quantile(0.95)),
		P99: ms(h.Quantile(0.99)), P999: ms(h.Quantile(0.999)), Max: ms(float64(h.Max())), Mean: ms(h.Mean()),
	}
}

// TypeResult is one request type's figures.
type TypeResult struct {
	Requests   int64            `json:"requests"`
	Errors     int64            `json:"errors"`
	ErrorRate  float64          `json:"errorRate"`
	RPS        float64          `json:"rps"`
	Latency    Percentiles      `json:"latencyMs"`
	ErrorKinds map[string]int64 `json:"errorKinds"`
	Hist       *Histogram       `json:"histogram"`
}

// Second is one second of the timeseries (T seconds after Start). Latencies
// are milliseconds; Conns, Users and Sockets are sampled during the second.
type Second struct {
	T        int        `json:"t"`
	Requests int64      `json:"requests"`
	Errors   int64      `json:"errors"`
	P50      float64    `json:"p50"`
	P90      float64    `json:"p90"`
	P99      float64    `json:"p99"`
	Max      float64    `json:"max"`
	Conns    int64      `json:"conns"`
	Users    int64      `json:"users"`
	Sockets  int64      `json:"sockets"`
	Hist     *Histogram `json:"histogram,omitempty"`
}

// SocketStats counts realtime sockets over a run.
type SocketStats struct {
	Opened        int64 `json:"opened"`
	Failed        int64 `json:"failed"`
	Dropped       int64 `json:"dropped"`
	OpenAtEnd     int64 `json:"openAtEnd"`
	Messages      int64 `json:"messages"`
	CallCompleted int64 `json:"callCompleted"`
}

// Machine describes where a run happened.
type Machine struct {
	Hostname  string `json:"hostname"`
	NumCPU    int    `json:"nproc"`
	MemBytes  uint64 `json:"memBytes"`
	Kernel    string `json:"kernel"`
	GoVersion string `json:"goVersion"`
	CPUModel  string `json:"cpuModel"`
}

// Check is one threshold's verdict.
type Check struct {
	Name  string  `json:"name"`
	Limit float64 `json:"limit"`
	Got   float64 `json:"got"`
	Pass  bool    `json:"pass"`
}

// Result is a run's figures: the machine-readable results.json. Totals
// (Requests, Errors, RPS, Latency, ErrorKinds) cover the judged request
// types: everything except login, ws_connect and page.
type Result struct {
	Name    string  `json:"name"`
	Tier    any     `json:"tier,omitempty"`
	Machine Machine `json:"machine"`
	// Host is the tuning profile the run ran under (nil: not stated, runs
	// before profiles existed).
	Host  *HostProfile `json:"host,omitempty"`
	Start time.Time    `json:"start"`
	// Seconds is the measured duration (warm-up excluded).
	Seconds   float64 `json:"seconds"`
	Processes int     `json:"processes"`

	Requests   int64            `json:"requests"`
	Errors     int64            `json:"errors"`
	ErrorRate  float64          `json:"errorRate"`
	RPS        float64          `json:"rps"`
	Latency    Percentiles      `json:"latencyMs"`
	ErrorKinds map[string]int64 `json:"errorKinds"`
	Hist       *Histogram       `json:"histogram"`

	Types      map[string]*TypeResult `json:"types"`
	Sockets    SocketStats            `json:"sockets"`
	Timeseries []Second               `json:"timeseries"`

	// GeneratorCPUSeconds is user+system CPU of every generator process
	// during the run; ServerCPUSeconds that of the server's process tree
	// (when its pid was given).
	GeneratorCPUSeconds float64 `json:"generatorCpuSeconds"`
	ServerCPUSeconds    float64 `json:"serverCpuSeconds,omitempty"`

	Checks []Check `json:"checks,omitempty"`
	Pass   bool    `json:"pass"`
}

// Finalize recomputes every derived figure from the histograms and counts.
func (r *Result) Finalize() {
	r.Hist = NewHistogram()
	r.Requests, r.Errors, r.ErrorKinds = 0, 0, map[string]int64{}
	for typ, tr := range r.Types {
		tr.ErrorRate = ratio(tr.Errors, tr.Requests)
		tr.RPS = perSecond(tr.Requests, r.Seconds)
		tr.Latency = PercentilesOf(tr.Hist)
		if unjudged[typ] {
			continue
		}
		r.Hist.Merge(tr.Hist)
		r.Requests += tr.Requests
		r.Errors += tr.Errors
		for k, v := range tr.ErrorKinds {
			r.ErrorKinds[k] += v
		}
	}
	r.ErrorRate = ratio(r.Errors, r.Requests)
	r.RPS = perSecond(r.Requests, r.Seconds)
	r.Latency = PercentilesOf(r.Hist)
	for i := range r.Timeseries {
		s := &r.Timeseries[i]
		if s.Hist != nil {
			s.P50, s.P90 = s.Hist.Quantile(0.5)/1000, s.Hist.Quantile(0.9)/1000
			s.P99, s.Max = s.Hist.Quantile(0.99)/1000, float64(s.Hist.Max())/1000
		}
	}
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func perSecond(n int64, secs float64) float64 {
	if secs <= 0 {
		return 0
	}
	return float64(n) / secs
}

// Merge combines results of processes that ran side by side: histograms and
// counts add up, gauges add up per second, CPU adds up; the duration is the
// longest.
func Merge(rs ...*Result) *Result {
	out := &Result{Types: map[string]*TypeResult{}}
	for _, r := range rs {
		if r == nil {
			continue
		}
		if out.Name == "" {
			out.Name, out.Tier, out.Machine, out.Start = r.Name, r.Tier, r.Machine, r.Start
		}
		if r.Start.Before(out.Start) {
			out.Start = r.Start
		}
		out.Seconds = max(out.Seconds, r.Seconds)
		out.Processes += r.Processes
		out.GeneratorCPUSeconds += r.GeneratorCPUSeconds
		out.ServerCPUSeconds += r.ServerCPUSeconds
		mergeTypes(out.Types, r.Types)
		mergeSeconds(&out.Timeseries, r.Timeseries)
		s := &out.Sockets
		s.Opened += r.Sockets.Opened
		s.Failed += r.Sockets.Failed
		s.Dropped += r.Sockets.Dropped
		s.OpenAtEnd += r.Sockets.OpenAtEnd
		s.Messages += r.Sockets.Messages
		s.CallCompleted += r.Sockets.CallCompleted
	}
	out.Finalize()
	return out
}

func mergeTypes(dst, src map[string]*TypeResult) {
	for typ, tr := range src {
		d := dst[typ]
		if d == nil {
			d = &TypeResult{Hist: NewHistogram(), ErrorKinds: map[string]int64{}}
			dst[typ] = d
		}
		d.Hist.Merge(tr.Hist)
		d.Requests += tr.Requests
		d.Errors += tr.Errors
		for k, v := range tr.ErrorKinds {
			d.ErrorKinds[k] += v
		}
	}
}

func mergeSeconds(dst *[]Second, src []Second) {
	for _, s := range src {
		for len(*dst) <= s.T {
			*dst = append(*dst, Second{T: len(*dst), Hist: NewHistogram()})
		}
		d := &(*dst)[s.T]
		if d.Hist == nil {
			d.Hist = NewHistogram()
		}
		d.Hist.Merge(s.Hist)
		d.Requests += s.Requests
		d.Errors += s.Errors
		d.Conns += s.Conns
		d.Users += s.Users
		d.Sockets += s.Sockets
	}
}

// TypeNames returns the request types of r, sorted.
func (r *Result) TypeNames() []string {
	names := make([]string, 0, len(r.Types))
	for k := range r.Types {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// WriteFile writes r as indented JSON; perSecondHist keeps the per-second
// histograms (needed to merge again; large).
func (r *Result) WriteFile(path string, perSecondHist bool) error {
	c := *r
	if !perSecondHist {
		c.Timeseries = make([]Second, len(r.Timeseries))
		for i, s := range r.Timeseries {
			s.Hist = nil
			c.Timeseries[i] = s
		}
	}
	b, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		return fmt.Errorf("cannot encode result: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("cannot write result: %w", err)
	}
	return nil
}

// ReadResult reads a results.json, or a gzipped one when path ends in .gz.
func ReadResult(path string) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read result: %w", err)
	}
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("cannot read result %s: %w", path, err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("cannot read result %s: %w", path, err)
		}
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("cannot parse result %s: %w", path, err)
	}
	for _, tr := range r.Types {
		if tr.Hist == nil {
			tr.Hist = NewHistogram()
		}
	}
	if r.Hist == nil {
		r.Hist = NewHistogram()
	}
	return &r, nil
}
