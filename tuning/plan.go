package tuning

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Parts --only selects.
var Parts = []string{"net", "sysctl", "limits", "postgres", "redis", "lb"}

// ErrUnknownPart reports a bad --only (bad usage: exit 2).
var ErrUnknownPart = errors.New("unknown part")

// Item is a setting with the value the plan wants on this host.
type Item struct {
	Setting
	Want string `json:"want"`
	// Kept: apply found the live value already holding Want and left it.
	Kept bool `json:"-"`
}

// Plan is a profile resolved for one host: the items it wants and the
// files that hold them.
type Plan struct {
	Profile Profile
	Host    Host
	Items   []Item
	Files   []File
}

// parts lists the --only parts a setting belongs to.
func parts(s Setting) []string {
	switch s.Kind {
	case KindSysctl:
		if strings.HasPrefix(s.Key, "net.") {
			return []string{"net", "sysctl"}
		}
		return []string{"sysctl"}
	case KindSysfs:
		return []string{"sysctl"}
	case KindLimits:
		return []string{"limits"}
	case KindPostgres:
		return []string{"postgres"}
	case KindRedis:
		return []string{"redis"}
	}
	return []string{"lb"}
}

// InPart reports whether s belongs to part ("" is every part).
func InPart(s Setting, part string) bool {
	return part == "" || slices.Contains(parts(s), part)
}

// NewPlan resolves p for h, keeping only the settings of part ("" = all).
func NewPlan(p Profile, h Host, part string) (Plan, error) {
	if err := h.Validate(); err != nil {
		return Plan{}, err
	}
	if part != "" && !slices.Contains(Parts, part) {
		return Plan{}, fmt.Errorf("%w %q: want net, sysctl, limits, postgres, redis or lb", ErrUnknownPart, part)
	}
	d := derive(h, p.Pools)
	pl := Plan{Profile: p, Host: h}
	for _, s := range p.Settings {
		if (s.Use != "" && s.Use != h.RedisUse) || !InPart(s, part) {
			continue
		}
		want := s.Value
		if s.Formula != "" {
			want = formulas[s.Formula](d)
		}
		if want == "" {
			continue
		}
		pl.Items = append(pl.Items, Item{Setting: s, Want: want})
	}
	pl.Files = render(pl)
	return pl, nil
}

// Writable is the items apply writes (not those left at the default).
func (pl Plan) Writable() []Item {
	var out []Item
	for _, it := range pl.Items {
		if !it.Leave {
			out = append(out, it)
		}
	}
	return out
}
