package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/google/uuid"

	"github.com/echosenseix/echosenseix/internal/seed"
	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/auth"
)

// seedPlan is the demo data, decided before it is stored so that every
// cluster worker (in-memory mode) loads the same ids, and printed as JSON so
// load tests can log in and sign webhooks (the format is internal/seed).
type seedPlan struct {
	seed.File
}

// seedStores are the store interfaces seeding writes through.
type seedStores struct {
	Orgs   server.OrganizationStore
	Users  server.UserStore
	Agents server.AgentStore
}

// newSeedPlan plans orgs organizations with users users and agents agents
// each. Every user gets password, or one random password when it is empty.
// Emails and external agent ids carry a random run tag so repeated seeds of
// one database never collide.
func newSeedPlan(orgs, users, agents int, password string) (*seedPlan, error) {
	if password == "" {
		password = randomToken(12)
	}
	run := randomHex(4)
	p := &seedPlan{seed.File{Organizations: make([]seed.Org, 0, orgs)}}
	for i := range orgs {
		o := seed.Org{ID: uuid.NewString(), Name: fmt.Sprintf("Demo org %d", i+1), WebhookSecret: "whsec_" + randomToken(24)}
		for j := range users {
			o.Users = append(o.Users, seed.User{ID: uuid.NewString(),
				Email: fmt.Sprintf("user%d@org%d-%s.example.com", j+1, i+1, run), Password: password})
		}
		for j := range agents {
			o.Agents = append(o.Agents, seed.Agent{ID: uuid.NewString(),
				ExternalAgentID: fmt.Sprintf("agent_%s_%d_%d", run, i+1, j+1), Name: fmt.Sprintf("Demo agent %d", j+1)})
		}
		p.Organizations = append(p.Organizations, o)
	}
	return p, nil
}

// apply stores the plan, hashing each distinct password once (hashing is
// deliberately slow).
func (p *seedPlan) apply(ctx context.Context, st seedStores) error {
	hashes := map[string]string{}
	for _, o := range p.Organizations {
		org := &server.Organization{ID: o.ID, Name: o.Name, WebhookSecret: o.WebhookSecret}
		if err := st.Orgs.CreateOrganization(ctx, org); err != nil {
			return fmt.Errorf("cannot seed organization %s: %w", o.Name, err)
		}
		for j, u := range o.Users {
			h, ok := hashes[u.Password]
			if !ok {
				var err error
				if h, err = auth.HashPassword(u.Password); err != nil {
					return fmt.Errorf("cannot hash seed password: %w", err)
				}
				hashes[u.Password] = h
			}
			role := "member"
			if j == 0 {
				role = "admin"
			}
			usr := &server.User{ID: u.ID, OrganizationID: o.ID, Email: u.Email, Name: fmt.Sprintf("Demo user %d", j+1), Role: role, PasswordHash: h}
			if err := st.Users.CreateUser(ctx, usr); err != nil {
				return fmt.Errorf("cannot seed user %s: %w", u.Email, err)
			}
		}
		for _, a := range o.Agents {
			ag := &server.Agent{ID: a.ID, OrganizationID: o.ID, ExternalAgentID: a.ExternalAgentID, Name: a.Name,
				FirstMessage: "Hello! How can I help?", IsActive: true}
			if err := st.Agents.CreateAgent(ctx, ag); err != nil {
				return fmt.Errorf("cannot seed agent %s: %w", a.Name, err)
			}
		}
	}
	return nil
}

// writeSeedOut writes the plan's JSON to path (mode 0600: it holds
// passwords), or to stdout when path is empty.
func writeSeedOut(p *seedPlan, path string) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("cannot encode seed: %w", err)
	}
	b = append(b, '\n')
	if path == "" {
		_, err = os.Stdout.Write(b)
		return err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("cannot write seed output: %w", err)
	}
	return nil
}

func readSeedPlan(path string) (*seedPlan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read seed plan: %w", err)
	}
	var p seedPlan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("cannot decode seed plan: %w", err)
	}
	return &p, nil
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// seedCmd creates demo data in Postgres (migrating first) and prints it.
func seedCmd(args []string) int {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	orgs := fs.Int("orgs", 1, "organizations to create")
	users := fs.Int("users", 1, "users per organization")
	agents := fs.Int("agents", 1, "agents per organization")
	password := fs.String("password", "", "password of every user (default: random, printed)")
	out := fs.String("out", "", "write the JSON to this file (mode 0600) instead of stdout")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *orgs < 1 || *users < 0 || *agents < 0 {
		fmt.Fprintf(os.Stderr, "echosenseix: seed --orgs=%d --users=%d --agents=%d: want orgs >= 1, users and agents >= 0\n", *orgs, *users, *agents)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	db, _, code := migratedDB(ctx, "seed needs DATABASE_URL; for in-memory demo data use `echosenseix serve --seed-orgs N --seed-users U --seed-agents A --seed-out FILE` (or SEED_ORGS, SEED_USERS, SEED_AGENTS, SEED_OUT)")
	if code != 0 {
		return code
	}
	defer db.Close()
	plan, _ := newSeedPlan(*orgs, *users, *agents, *password)
	st := db.Store()
	if err := plan.apply(ctx, seedStores{Orgs: st, Users: st, Agents: st}); err != nil {
		fmt.Fprintf(os.Stderr, "echosenseix: %v\n", err)
		return 1
	}
	if err := writeSeedOut(plan, *out); err != nil {
		fmt.Fprintf(os.Stderr, "echosenseix: %v\n", err)
		return 1
	}
	return 0
}
