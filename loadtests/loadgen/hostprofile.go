package loadgen

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// ProfileNone is the profile of a run on the host as it is (no namespace,
// nothing set).
const ProfileNone = "none (host as is)"

// HostProfile says under which host settings a run ran: the tuning profile
// (tuned, defaults, or none), the namespace it ran in, how its sysctls were
// set, the `tune check` verdict and the net.* values in force.
type HostProfile struct {
	Profile   string            `json:"profile"`
	Tier      string            `json:"tier,omitempty"` // the profile's tier
	Netns     string            `json:"netns,omitempty"`
	Applied   string            `json:"applied,omitempty"`
	TuneCheck TuneCheck         `json:"tuneCheck"`
	Sysctls   map[string]string `json:"sysctls,omitempty"`
}

// TuneCheck is the `tune check` run of a report header.
type TuneCheck struct {
	Command string          `json:"command"`
	Summary string          `json:"summary"`
	Output  json.RawMessage `json:"output,omitempty"`
}

// ReadHostProfile reads a HostProfile JSON file.
func ReadHostProfile(path string) (*HostProfile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read host profile: %w", err)
	}
	var p HostProfile
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("cannot parse host profile %s: %w", path, err)
	}
	if p.Profile == "" {
		return nil, fmt.Errorf("cannot use host profile %s: no profile", path)
	}
	return &p, nil
}

// Markdown renders the header lines of summary.md.
func (p *HostProfile) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Profile: %s", p.Profile)
	if p.Tier != "" {
		fmt.Fprintf(&b, " (tier %s)", p.Tier)
	}
	if p.Netns != "" {
		fmt.Fprintf(&b, ", in network namespace %s", p.Netns)
	}
	if p.Applied != "" {
		fmt.Fprintf(&b, "; set by %s", p.Applied)
	}
	fmt.Fprintf(&b, ".  \ntune check: %s", p.TuneCheck.Summary)
	if p.TuneCheck.Command != "" {
		fmt.Fprintf(&b, " (`%s`)", p.TuneCheck.Command)
	}
	b.WriteString(".  \n")
	if len(p.Sysctls) > 0 {
		keys := make([]string, 0, len(p.Sysctls))
		for k := range p.Sysctls {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + p.Sysctls[k]
		}
		fmt.Fprintf(&b, "In force: %s.  \n", strings.Join(parts, ", "))
	}
	return b.String()
}
