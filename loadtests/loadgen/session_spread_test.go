package loadgen

import (
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/loadtests/tiers"
)

// TestLoginsSpreadOverRamp: each process's sessions are first used (logged
// in) at an even pace over the ramp, every session is used, and the
// assignment is monotonic (consecutive users share a session).
func TestLoginsSpreadOverRamp(t *testing.T) {
	tier := tiers.Tier{Name: "t", Users: 100000, Sessions: 5000, RampSeconds: 300}
	const procs = 8
	for p := range procs {
		r := &tierRun{cfg: TierConfig{Tier: tier, Process: p, Processes: procs}}
		for s := p; s < tier.Sessions; s += procs {
			r.sessions = append(r.sessions, &session{})
		}
		first := map[int]int{} // session -> first user
		prev := -1
		for u := p; u < tier.Users; u += procs {
			s := r.sessionOf(u)
			if s < prev {
				t.Fatalf("process %d: user %d got session %d after %d; want non-decreasing", p, u, s, prev)
			}
			prev = s
			if _, ok := first[s]; !ok {
				first[s] = u
			}
		}
		if len(first) != len(r.sessions) {
			t.Fatalf("process %d: %d of %d sessions used", p, len(first), len(r.sessions))
		}
		// The last session's first user starts near the end of the ramp,
		// not in its first seconds.
		last := first[len(r.sessions)-1]
		at := time.Duration(float64(tier.Ramp()) * float64(last) / float64(tier.Users))
		if at < tier.Ramp()*9/10 {
			t.Errorf("process %d: last login at %v of a %v ramp; want after 90 %%", p, at, tier.Ramp())
		}
	}
}

func TestLoginBackoff(t *testing.T) {
	for a := range 10 {
		d := loginBackoff(a)
		base := min(2*time.Second<<min(a, 4), 30*time.Second)
		if d < base/2 || d > base*3/2 {
			t.Errorf("loginBackoff(%d) = %v; want within [%v, %v]", a, d, base/2, base*3/2)
		}
	}
}
