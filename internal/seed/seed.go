// Package seed is the demo-data file `echosenseix seed` (and `serve
// --seed-out`) prints and the load tools, benchmarks and suites read: who can
// log in, and the secrets the voice platform signs webhooks with.
package seed

import (
	"encoding/json"
	"fmt"
	"os"
)

// File is the seed JSON.
type File struct {
	Organizations []Org `json:"organizations"`
}

// Org is one seeded organization.
type Org struct {
	ID            string  `json:"id"`
	Name          string  `json:"name"`
	WebhookSecret string  `json:"webhookSecret"`
	Users         []User  `json:"users"`
	Agents        []Agent `json:"agents"`
}

// User is one seeded login and its password.
type User struct {
	ID       string `json:"id"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

// Agent is one seeded agent and its id on the voice platform.
type Agent struct {
	ID              string `json:"id"`
	ExternalAgentID string `json:"externalAgentId"`
	Name            string `json:"name"`
}

// Read reads and checks a seed file.
func Read(path string) (File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return File{}, fmt.Errorf("cannot read seed: %w", err)
	}
	return Parse(b)
}

// Parse decodes and checks seed JSON: at least one user, and a webhook
// secret wherever there are agents.
func Parse(b []byte) (File, error) {
	var s File
	if err := json.Unmarshal(b, &s); err != nil {
		return File{}, fmt.Errorf("cannot parse seed: %w", err)
	}
	if len(s.Logins()) == 0 {
		return File{}, fmt.Errorf("cannot use seed: no users")
	}
	for _, o := range s.Organizations {
		if len(o.Agents) > 0 && o.WebhookSecret == "" {
			return File{}, fmt.Errorf("cannot use seed: organization %s has agents but no webhookSecret", o.ID)
		}
	}
	return s, nil
}

// Logins returns every user, interleaved across organizations (user 0 of
// each organization first), so any prefix spreads over the organizations.
func (s File) Logins() []User {
	return interleave(s.Organizations, func(o Org) []User { return o.Users })
}

// Target is an agent with its organization's webhook secret.
type Target struct {
	Secret, ExternalAgentID string
}

// Targets returns every agent with its secret, interleaved like Logins.
func (s File) Targets() []Target {
	return interleave(s.Organizations, func(o Org) []Target {
		out := make([]Target, len(o.Agents))
		for i, a := range o.Agents {
			out[i] = Target{o.WebhookSecret, a.ExternalAgentID}
		}
		return out
	})
}

// interleave takes element i of every organization's list before element i+1.
func interleave[T any](orgs []Org, list func(Org) []T) []T {
	lists := make([][]T, len(orgs))
	for i, o := range orgs {
		lists[i] = list(o)
	}
	var out []T
	for i := 0; ; i++ {
		added := false
		for _, l := range lists {
			if i < len(l) {
				out = append(out, l[i])
				added = true
			}
		}
		if !added {
			return out
		}
	}
}
