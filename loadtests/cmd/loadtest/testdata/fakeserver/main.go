// Command fakeserver stands in for bin/echosenseix in the runner's test: it
// speaks the API contract the load generator uses (login, pages, signed
// webhooks, realtime socket, health) and the subcommands migrate, seed and
// serve. It records the environment it was started with in $FAKE_ENV_FILE.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

func main() {
	if len(os.Args) < 2 {
		os.Exit(2)
	}
	if os.Getenv("DATABASE_URL") == "" {
		fmt.Fprintln(os.Stderr, "fakeserver: DATABASE_URL not set")
		os.Exit(3)
	}
	switch os.Args[1] {
	case "migrate":
	case "seed":
		seed(os.Args[2:])
	case "serve":
		serve()
	default:
		os.Exit(2)
	}
}

func seed(args []string) {
	fs := flag.NewFlagSet("seed", flag.ExitOnError)
	orgs := fs.Int("orgs", 1, "")
	users := fs.Int("users", 1, "")
	agents := fs.Int("agents", 1, "")
	_ = fs.Parse(args)
	type user struct{ Email, Password string }
	type agent struct{ ID, ExternalAgentID string }
	type org struct {
		ID, Name, WebhookSecret string
		Users                   []user
		Agents                  []agent
	}
	var out struct{ Organizations []org }
	for o := 0; o < *orgs; o++ {
		g := org{ID: fmt.Sprint("o", o), Name: "org", WebhookSecret: "secret"}
		for u := 0; u < *users; u++ {
			g.Users = append(g.Users, user{fmt.Sprintf("u%d-%d@x", o, u), "pw"})
		}
		for a := 0; a < *agents; a++ {
			g.Agents = append(g.Agents, agent{fmt.Sprint("a", a), fmt.Sprintf("ext-%d-%d", o, a)})
		}
		out.Organizations = append(out.Organizations, g)
	}
	b, _ := json.Marshal(out)
	// Field names as the contract spells them.
	s := strings.NewReplacer(`"Organizations"`, `"organizations"`, `"ID"`, `"id"`, `"Name"`, `"name"`,
		`"WebhookSecret"`, `"webhookSecret"`, `"Users"`, `"users"`, `"Agents"`, `"agents"`, `"Email"`, `"email"`,
		`"Password"`, `"password"`, `"ExternalAgentID"`, `"externalAgentId"`).Replace(string(b))
	fmt.Println(s)
}

func serve() {
	if f := os.Getenv("FAKE_ENV_FILE"); f != "" {
		_ = os.WriteFile(f, []byte(strings.Join(os.Environ(), "\n")), 0o644)
	}
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"ok":true}`) }
	mux.HandleFunc("/health/ready", ok)
	mux.HandleFunc("POST /api/login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "s1"})
		ok(w, r)
	})
	for _, p := range []string{"/api/auth/user", "/api/agents", "/api/analytics/organization", "/api/call-logs"} {
		mux.HandleFunc("GET "+p, ok)
	}
	mux.HandleFunc("POST /api/webhooks/post-call", func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("ElevenLabs-Signature"), "t=") {
			http.Error(w, "unsigned", http.StatusUnauthorized)
			return
		}
		ok(w, r)
	})
	mux.HandleFunc("/ws/realtime-sync", func(w http.ResponseWriter, r *http.Request) {
		conn, _, _, err := ws.UpgradeHTTP(r, w)
		if err != nil {
			return
		}
		go func() {
			defer conn.Close()
			_ = wsutil.WriteServerText(conn, []byte(`{"type":"connected"}`))
			for {
				if _, _, err := wsutil.ReadClientData(conn); err != nil {
					return
				}
			}
		}()
	})
	_ = http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), mux)
}
