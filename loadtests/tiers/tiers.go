// Package tiers owns the load tiers (smoke, 1k, 10k, 100k): what a concurrent
// user does, how many there are, the webhook rate, the server mode and the
// thresholds a run must hold. The definitions live in tiers.json, which the
// k6 scripts read too (loadtests/k6), so both generators run the same load.
package tiers

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"time"
)

//go:embed tiers.json
var tiersJSON []byte

// JSON returns the embedded tiers.json, byte for byte.
func JSON() []byte { return append([]byte(nil), tiersJSON...) }

// File is the shape of tiers.json.
type File struct {
	Comment  string          `json:"comment"`
	PageLoad []string        `json:"pageLoad"`
	Tiers    map[string]Tier `json:"tiers"`
}

// Tier is one load level. Times are seconds, latencies milliseconds, rates
// per second.
type Tier struct {
	Name        string `json:"name,omitempty"`
	Description string `json:"description"`
	// Users is the number of concurrent users: logged-in browser tabs, each
	// holding one realtime socket (when Realtime) and loading a page every
	// ThinkSeconds.
	Users int `json:"users"`
	// Sessions is how many logins the users share (login is argon2: slow by
	// design), like tabs of one account; consecutive users share a session,
	// so logins come at an even pace over the ramp.
	Sessions int `json:"sessions"`
	// RampSeconds spreads logins and first page loads; HoldSeconds follows
	// at full load.
	RampSeconds  float64 `json:"rampSeconds"`
	HoldSeconds  float64 `json:"holdSeconds"`
	ThinkSeconds float64 `json:"thinkSeconds"`
	// Realtime opens /ws/realtime-sync per user.
	Realtime bool `json:"realtime"`
	// WebhooksPerSecond is the open-loop rate of signed post-call webhooks.
	WebhooksPerSecond float64 `json:"webhooksPerSecond"`
	// HTTPConns is the total keep-alive connections the users' page loads go
	// over (split across generator processes); WebhookConns likewise for the
	// voice platform's webhooks.
	HTTPConns             int     `json:"httpConns"`
	WebhookConns          int     `json:"webhookConns"`
	RequestTimeoutSeconds float64 `json:"requestTimeoutSeconds"`
	// Generators is the minimum number of generator processes.
	Generators int        `json:"generators"`
	Seed       Seed       `json:"seed"`
	Server     Server     `json:"server"`
	Thresholds Thresholds `json:"thresholds"`
	// PageLoad is the file's pageLoad, copied into every tier.
	PageLoad []string `json:"pageLoad,omitempty"`
}

// Seed sizes `echosenseix seed --orgs --users --agents`.
type Seed struct {
	Orgs         int `json:"orgs"`
	UsersPerOrg  int `json:"usersPerOrg"`
	AgentsPerOrg int `json:"agentsPerOrg"`
}

// Server is the mode the server runs in for the tier (env vars of
// bin/echosenseix).
type Server struct {
	ClusterEnabled bool   `json:"clusterEnabled"`
	ClusterWorkers int    `json:"clusterWorkers"`
	CacheProvider  string `json:"cacheProvider"`
	QueueProvider  string `json:"queueProvider"`
	SessionStore   string `json:"sessionStore"`
	// RealtimePort serves the sockets from the dedicated event-driven
	// listener (REALTIME_PORT, about 9 KB per idle socket, no goroutine per
	// socket) instead of hijacked HTTP connections on PORT (18-25 KB): the
	// 100k-socket mode. The generator dials ws://host:REALTIME_PORT.
	RealtimePort bool `json:"realtimePort,omitempty"`
}

// NeedsRedis reports whether any provider of s is Redis.
func (s Server) NeedsRedis() bool {
	return s.CacheProvider == "redis" || s.QueueProvider == "redis" || s.SessionStore == "redis"
}

// Thresholds a run must hold. They apply to page-load and webhook requests
// (logins are reported but not judged: argon2 is slow on purpose).
type Thresholds struct {
	// MaxErrorRate is the highest failed fraction allowed (0 = no error).
	MaxErrorRate float64 `json:"maxErrorRate"`
	P95Ms        float64 `json:"p95Ms"`
	P99Ms        float64 `json:"p99Ms"`
	// MinSocketRatio is the fraction of users whose socket must be open at
	// the end of the hold (ignored when the tier has no realtime).
	MinSocketRatio float64 `json:"minSocketRatio"`
}

// Parse reads a tiers file.
func Parse(b []byte) (File, error) {
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return File{}, fmt.Errorf("cannot parse tiers: %w", err)
	}
	for name, t := range f.Tiers {
		t.Name = name
		t.PageLoad = append([]string(nil), f.PageLoad...)
		if err := t.Validate(); err != nil {
			return File{}, err
		}
		f.Tiers[name] = t
	}
	return f, nil
}

// All returns every tier of the embedded file, smallest first.
func All() ([]Tier, error) {
	f, err := Parse(tiersJSON)
	if err != nil {
		return nil, err
	}
	out := make([]Tier, 0, len(f.Tiers))
	for _, t := range f.Tiers {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Users < out[j].Users })
	return out, nil
}

// Names returns the tier names, smallest first.
func Names() []string {
	all, err := All()
	if err != nil {
		panic("BUG: embedded tiers.json is invalid: " + err.Error())
	}
	names := make([]string, len(all))
	for i, t := range all {
		names[i] = t.Name
	}
	return names
}

// Load returns the named tier of the embedded tiers.json.
func Load(name string) (Tier, error) {
	f, err := Parse(tiersJSON)
	if err != nil {
		return Tier{}, err
	}
	t, ok := f.Tiers[name]
	if !ok {
		return Tier{}, fmt.Errorf("cannot load tier %q: not one of %v", name, Names())
	}
	return t, nil
}

// LoadFrom returns the named tier of the tiers file at path, or of the
// embedded tiers.json when path is empty.
func LoadFrom(name, path string) (Tier, error) {
	if path == "" {
		return Load(name)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Tier{}, fmt.Errorf("cannot read tiers: %w", err)
	}
	f, err := Parse(b)
	if err != nil {
		return Tier{}, err
	}
	t, ok := f.Tiers[name]
	if !ok {
		return Tier{}, fmt.Errorf("cannot load tier %q from %s", name, path)
	}
	return t, nil
}

// Validate checks that t is runnable.
func (t Tier) Validate() error {
	switch {
	case t.Users <= 0:
		return fmt.Errorf("tier %s: users must be > 0", t.Name)
	case t.Sessions <= 0 || t.Sessions > t.Users:
		return fmt.Errorf("tier %s: sessions must be in 1..users", t.Name)
	case t.ThinkSeconds <= 0 || t.HoldSeconds <= 0 || t.RampSeconds < 0:
		return fmt.Errorf("tier %s: think and hold must be > 0, ramp >= 0", t.Name)
	case t.HTTPConns <= 0 || (t.WebhooksPerSecond > 0 && t.WebhookConns <= 0):
		return fmt.Errorf("tier %s: httpConns (and webhookConns with webhooks) must be > 0", t.Name)
	case t.Seed.Orgs*t.Seed.UsersPerOrg < 1 || t.Seed.AgentsPerOrg < 1:
		return fmt.Errorf("tier %s: seed needs users and agents", t.Name)
	case t.Thresholds.P99Ms <= 0:
		return fmt.Errorf("tier %s: thresholds.p99Ms must be > 0", t.Name)
	}
	return nil
}

// Duration is the ramp plus the hold.
func (t Tier) Duration() time.Duration {
	return time.Duration((t.RampSeconds + t.HoldSeconds) * float64(time.Second))
}

// Think is the time between a user's page loads.
func (t Tier) Think() time.Duration { return time.Duration(t.ThinkSeconds * float64(time.Second)) }

// Ramp is the time over which users start.
func (t Tier) Ramp() time.Duration { return time.Duration(t.RampSeconds * float64(time.Second)) }

// RequestTimeout bounds one request (default 10 s).
func (t Tier) RequestTimeout() time.Duration {
	if t.RequestTimeoutSeconds <= 0 {
		return 10 * time.Second
	}
	return time.Duration(t.RequestTimeoutSeconds * float64(time.Second))
}

// PageRequestsPerSecond is users × len(pageLoad) / think time at full load.
func (t Tier) PageRequestsPerSecond() float64 {
	return float64(t.Users*len(t.PageLoad)) / t.ThinkSeconds
}

// RequestsPerSecond is the HTTP rate the tier implies at full load:
// page-load requests plus webhooks.
func (t Tier) RequestsPerSecond() float64 { return t.PageRequestsPerSecond() + t.WebhooksPerSecond }

// Connections is the client connections the tier holds at full load:
// sockets, page-load and webhook connections.
func (t Tier) Connections() int {
	n := t.HTTPConns + t.WebhookConns
	if t.Realtime {
		n += t.Users
	}
	return n
}

// Processes is how many generator processes the tier needs when one process
// may hold at most perProcess connections: at least Generators.
func (t Tier) Processes(perProcess int) int {
	k := (t.Connections() + perProcess - 1) / perProcess
	if k < t.Generators {
		k = t.Generators
	}
	if k < 1 {
		k = 1
	}
	return k
}
