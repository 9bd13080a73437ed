package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/echosenseix/echosenseix/internal/webhook"
)

// TestMain doubles as `loadgen worker` when the multi-process test spawns
// this test binary.
func TestMain(m *testing.M) {
	if os.Getenv("LOADGEN_TEST_WORKER") == "1" {
		os.Exit(WorkerMain(ctxBackground(), os.Stdin, os.Stdout))
	}
	os.Exit(m.Run())
}

// fakeAPI is a stand-in for the EchoSenseiX API contract: login with a sid
// cookie, the page paths, signed webhooks, and the realtime socket.
type fakeAPI struct {
	secret                   string
	logins, pages, webhooks  atomic.Int64
	badSigs, sockets, unauth atomic.Int64
	mu                       sync.Mutex
	convs                    map[string]bool
}

func newFakeAPI(t testing.TB) (*fakeAPI, *httptest.Server) {
	f := &fakeAPI{secret: "whsec_test", convs: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/login", f.login)
	for _, p := range []string{"/api/auth/user", "/api/agents", "/api/analytics/organization", "/api/call-logs"} {
		mux.HandleFunc("GET "+p, f.page)
	}
	mux.HandleFunc("POST /api/webhooks/post-call", f.webhook)
	mux.HandleFunc("/ws/realtime-sync", f.socket)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeAPI) login(w http.ResponseWriter, r *http.Request) {
	var in struct{ Email, Password string }
	if json.NewDecoder(r.Body).Decode(&in) != nil || in.Password != "pw" {
		http.Error(w, "bad login", http.StatusUnauthorized)
		return
	}
	f.logins.Add(1)
	http.SetCookie(w, &http.Cookie{Name: "sid", Value: "s-" + in.Email, Path: "/", HttpOnly: true})
	fmt.Fprint(w, `{"ok":true}`)
}

func (f *fakeAPI) authed(r *http.Request) bool {
	c, err := r.Cookie("sid")
	return err == nil && strings.HasPrefix(c.Value, "s-")
}

func (f *fakeAPI) page(w http.ResponseWriter, r *http.Request) {
	if !f.authed(r) {
		f.unauth.Add(1)
		http.Error(w, "no session", http.StatusUnauthorized)
		return
	}
	f.pages.Add(1)
	fmt.Fprint(w, `{"data":[]}`)
}

func (f *fakeAPI) webhook(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	sig, err := webhook.Parse([]byte(r.Header.Get(SignatureHeader)))
	if err != nil || !sig.Valid([]byte(f.secret), body) || !sig.Fresh(time.Now(), 5*time.Minute) {
		f.badSigs.Add(1)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var ev struct {
		Data struct {
			ConversationID string `json:"conversation_id"`
		} `json:"data"`
	}
	_ = json.Unmarshal(body, &ev)
	f.mu.Lock()
	f.convs[ev.Data.ConversationID] = true
	f.mu.Unlock()
	f.webhooks.Add(1)
	fmt.Fprint(w, `{"id":"x"}`)
}

func (f *fakeAPI) socket(w http.ResponseWriter, r *http.Request) {
	if !f.authed(r) {
		http.Error(w, "no session", http.StatusUnauthorized)
		return
	}
	conn, _, _, err := ws.UpgradeHTTP(r, w)
	if err != nil {
		return
	}
	f.sockets.Add(1)
	go func() {
		defer conn.Close()
		_ = wsutil.WriteServerText(conn, []byte(`{"type":"connected","data":{"message":"hi"}}`))
		_ = wsutil.WriteServerText(conn, []byte(`{"type":"call_completed","organizationId":"o1","data":{}}`))
		for {
			if _, _, err := wsutil.ReadClientData(conn); err != nil {
				return
			}
		}
	}()
}

func testSeed(users int) Seed {
	org := SeedOrg{ID: "o1", Name: "Org", WebhookSecret: "whsec_test",
		Agents: []SeedAgent{{ID: "a1", ExternalAgentID: "ext-1"}, {ID: "a2", ExternalAgentID: "ext-2"}}}
	for i := 0; i < users; i++ {
		org.Users = append(org.Users, SeedUser{Email: fmt.Sprintf("u%d@example.com", i), Password: "pw"})
	}
	return Seed{Organizations: []SeedOrg{org}}
}
