package capacity

import (
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// Unit names of the model. Page units are "page:" plus the route.
const (
	UnitLogin        = "login"
	UnitWebhook      = "webhook"
	UnitFrame        = "frame"
	UnitSocketSecond = "socket_second"
	UnitConnect      = "socket_connect"
	PagePrefix       = "page:"
)

// Unit is the measured cost of one unit of work.
type Unit struct {
	Name string `json:"name"`
	// Count units were done in Seconds of wall time.
	Count   float64 `json:"count"`
	Seconds float64 `json:"seconds"`
	// ServerCPU and GeneratorCPU are the CPU seconds of the window, the
	// idle baseline (and the costs of other units the phase needed)
	// subtracted.
	ServerCPU    float64 `json:"serverCpuSeconds"`
	GeneratorCPU float64 `json:"generatorCpuSeconds"`
	// RedisOps is the Redis commands processed in the window (the shared
	// server's total, so other clients add to it), net of the baseline.
	RedisOps float64 `json:"redisOps"`
	// Syscalls of the server per unit where strace measured them (frames:
	// the write system calls per delivered frame), else 0.
	SyscallsPerUnit float64 `json:"syscallsPerUnit,omitempty"`
	// Errors counts failed units (the cost is over the successful ones).
	Errors int64 `json:"errors"`
	// Note says how the unit was isolated.
	Note string `json:"note,omitempty"`
}

// ServerUS is the server's CPU per unit in microseconds.
func (u Unit) ServerUS() float64 { return per(u.ServerCPU, u.Count) * 1e6 }

// GeneratorUS is the generator's CPU per unit in microseconds.
func (u Unit) GeneratorUS() float64 { return per(u.GeneratorCPU, u.Count) * 1e6 }

// RedisPerUnit is Redis commands per unit.
func (u Unit) RedisPerUnit() float64 { return per(u.RedisOps, u.Count) }

func per(a, n float64) float64 {
	if n <= 0 {
		return 0
	}
	return a / n
}

// Model is one measurement: unit costs plus the per-socket footprint.
type Model struct {
	Label    string `json:"label"`
	Started  string `json:"started"`
	Machine  string `json:"machine"`
	ServerID string `json:"server"` // the measured binary (path, version)
	Units    []Unit `json:"units"`
	// ServerBaseRSS is the server's resident memory with no socket open;
	// ServerRSSPerSocket and GeneratorRSSPerSocket the growth per open
	// idle socket (bytes).
	ServerBaseRSS         float64 `json:"serverBaseRssBytes"`
	ServerRSSPerSocket    float64 `json:"serverRssPerSocketBytes"`
	GeneratorRSSPerSocket float64 `json:"generatorRssPerSocketBytes"`
	// BaselineServerCores is the idle server's CPU (cores).
	BaselineServerCores float64 `json:"baselineServerCores"`
	// Instructions is why instruction counts are (not) recorded.
	Instructions string `json:"instructions"`
}

// Unit returns the unit named name (zero Unit when absent).
func (m *Model) Unit(name string) Unit {
	for _, u := range m.Units {
		if u.Name == name {
			return u
		}
	}
	return Unit{Name: name}
}

// Pages returns the page units.
func (m *Model) Pages() []Unit {
	var out []Unit
	for _, u := range m.Units {
		if strings.HasPrefix(u.Name, PagePrefix) {
			out = append(out, u)
		}
	}
	return out
}

// Results is results.json of make capacity: one model per measured
// server binary (the first is the candidate), plus the checks of the
// planner against tier runs.
type Results struct {
	Models []Model `json:"models"`
	Checks []Check `json:"checks,omitempty"`
}

// Check is the planner's prediction beside a tier's measured CPU.
type Check struct {
	Tier                string  `json:"tier"`
	Source              string  `json:"source"`
	PredictedServer     float64 `json:"predictedServerCores"`
	MeasuredServer      float64 `json:"measuredServerCores"`
	PredictedGenerator  float64 `json:"predictedGeneratorCores"`
	MeasuredGenerator   float64 `json:"measuredGeneratorCores"`
	ServerErrorRatio    float64 `json:"serverErrorRatio"`
	GeneratorErrorRatio float64 `json:"generatorErrorRatio"`
	Note                string  `json:"note,omitempty"`
}

//go:embed model.json
var defaultModel []byte

// Default is the committed model (the latest make capacity run on the
// project's reference machine, copied to loadtests/capacity/model.json).
func Default() (Model, error) {
	var m Model
	if err := json.Unmarshal(defaultModel, &m); err != nil {
		return Model{}, fmt.Errorf("cannot read the embedded model: %w", err)
	}
	return m, nil
}

// ReadModel reads a model: a model.json, or the first model of a
// results.json(.gz) of make capacity.
func ReadModel(path string) (Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return Model{}, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return Model{}, fmt.Errorf("cannot read %s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return Model{}, fmt.Errorf("cannot read %s: %w", path, err)
	}
	var res Results
	if json.Unmarshal(b, &res) == nil && len(res.Models) > 0 {
		return res.Models[0], nil
	}
	var m Model
	if err := json.Unmarshal(b, &m); err != nil || len(m.Units) == 0 {
		return Model{}, fmt.Errorf("cannot read %s: not a model nor a capacity results file", path)
	}
	return m, nil
}
