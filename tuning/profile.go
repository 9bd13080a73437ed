package tuning

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
)

//go:embed profiles/*.yaml
var profileFS embed.FS

// Tiers and Roles are the profiles there are: one file per tier and role.
var (
	Tiers = []string{"1k", "10k", "100k"}
	Roles = []string{"app", "postgres", "redis", "lb"}
)

// Setting kinds: where a value lives and how it is read and written.
const (
	KindSysctl   = "sysctl"   // /proc/sys, /etc/sysctl.d
	KindSysfs    = "sysfs"    // a /sys file, kept by /etc/tmpfiles.d
	KindLimits   = "limits"   // RLIMIT_NOFILE: limits.d and a systemd drop-in
	KindPostgres = "postgres" // postgresql.conf, ALTER SYSTEM
	KindRedis    = "redis"    // redis.conf, CONFIG SET
	KindNginx    = "nginx"    // nginx.conf snippet
	KindHAProxy  = "haproxy"  // haproxy.cfg snippet
)

// Compare modes: when a live value holds the profile's value.
const (
	CompareEqual = "equal" // every field equal
	CompareMin   = "min"   // every numeric field at least the profile's
	CompareMax   = "max"   // every numeric field at most the profile's
	CompareRange = "range" // "lo hi": at least as wide
)

// Setting is one value of a profile with why it is that and where that
// comes from. Value is literal; Formula names a computation from the host
// (see formulas.go). Leave marks a value the profile checks but never
// writes (kept at the kernel default on purpose).
type Setting struct {
	Key     string `yaml:"key" json:"key"`
	Kind    string `yaml:"kind" json:"kind"`
	Service string `yaml:"service,omitempty" json:"service,omitempty"`
	Use     string `yaml:"use,omitempty" json:"use,omitempty"`
	Value   string `yaml:"value,omitempty" json:"value,omitempty"`
	Formula string `yaml:"formula,omitempty" json:"formula,omitempty"`
	Compare string `yaml:"compare" json:"compare"`
	Leave   bool   `yaml:"leave,omitempty" json:"leave,omitempty"`
	Reason  string `yaml:"reason" json:"reason"`
	Source  string `yaml:"source" json:"source"`
}

// ID names the setting in reports: the key, prefixed by its service.
func (s Setting) ID() string {
	if s.Service != "" {
		return s.Service + "/" + s.Key
	}
	return s.Key
}

// Pools describes who connects to Postgres, for max_connections.
type Pools struct {
	Instances              int `yaml:"instances"`
	Workers                int `yaml:"workers"`
	DatabaseMaxConnections int `yaml:"database_max_connections"`
	Headroom               int `yaml:"headroom"`
}

// Profile is one tier and role: the settings a host of that role gets.
type Profile struct {
	Tier     string    `yaml:"tier"`
	Role     string    `yaml:"role"`
	Summary  string    `yaml:"summary"`
	Pools    *Pools    `yaml:"pools,omitempty"`
	Settings []Setting `yaml:"settings"`
}

// Name is "<tier>-<role>", the profile label of check's reports.
func (p Profile) Name() string { return p.Tier + "-" + p.Role }

// Sentinels callers branch on (bad usage: exit 2).
var (
	ErrUnknownTier = errors.New("unknown tier")
	ErrUnknownRole = errors.New("unknown role")
)

// Load reads the profile of tier and role and checks it is well formed.
func Load(tier, role string) (Profile, error) {
	if !slices.Contains(Tiers, tier) {
		return Profile{}, fmt.Errorf("%w %q: want one of 1k, 10k, 100k", ErrUnknownTier, tier)
	}
	if !slices.Contains(Roles, role) {
		return Profile{}, fmt.Errorf("%w %q: want one of app, postgres, redis, lb", ErrUnknownRole, role)
	}
	name := "profiles/" + tier + "-" + role + ".yaml"
	data, err := profileFS.ReadFile(name)
	if err != nil {
		return Profile{}, fmt.Errorf("cannot read profile %s: %w", name, err)
	}
	var p Profile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return Profile{}, fmt.Errorf("cannot parse profile %s: %w", name, err)
	}
	if err := p.validate(tier, role); err != nil {
		return Profile{}, fmt.Errorf("cannot use profile %s: %w", name, err)
	}
	return p, nil
}

func (p Profile) validate(tier, role string) error {
	if p.Tier != tier || p.Role != role {
		return fmt.Errorf("file says tier %q role %q", p.Tier, p.Role)
	}
	kinds := []string{KindSysctl, KindSysfs, KindLimits, KindPostgres, KindRedis, KindNginx, KindHAProxy}
	modes := []string{CompareEqual, CompareMin, CompareMax, CompareRange}
	seen := map[string]bool{}
	for _, s := range p.Settings {
		id := s.ID() + "@" + s.Use
		switch {
		case seen[id]:
			return fmt.Errorf("setting %s appears twice", id)
		case !slices.Contains(kinds, s.Kind):
			return fmt.Errorf("setting %s: unknown kind %q", s.ID(), s.Kind)
		case !slices.Contains(modes, s.Compare):
			return fmt.Errorf("setting %s: unknown compare %q", s.ID(), s.Compare)
		case (s.Value == "") == (s.Formula == ""):
			return fmt.Errorf("setting %s: want exactly one of value and formula", s.ID())
		case s.Formula != "" && formulas[s.Formula] == nil:
			return fmt.Errorf("setting %s: unknown formula %q", s.ID(), s.Formula)
		case s.Reason == "" || s.Source == "":
			return fmt.Errorf("setting %s: reason and source are required", s.ID())
		}
		seen[id] = true
	}
	if n := countKind(p.Settings, KindLimits); n > 1 {
		return fmt.Errorf("%d limits settings: one limits.d file per role holds one", n)
	}
	if role == "postgres" && p.Pools == nil {
		return errors.New("postgres profile without pools")
	}
	return nil
}

func countKind(ss []Setting, kind string) int {
	n := 0
	for _, s := range ss {
		if s.Kind == kind {
			n++
		}
	}
	return n
}
