// Package peer is the stack a user would otherwise write: the same endpoints
// as EchoSenseiX's hot paths on plain net/http + encoding/json, with a
// mutex-guarded session map, an in-process agent cache and JSON encoding per
// request. `make bench` runs it (cmd/benchpeer) as a separate process next to
// our server so every figure is a same-run ratio.
//
// It is honest, not crippled: the same data shape, a real session check with
// sliding expiry on every request, organization scoping, and handlers written
// as a typical net/http service writes them (ServeMux patterns,
// json.NewEncoder per response). It keeps everything in memory, so where our
// server reads Postgres (call logs, analytics) the peer has the easier job.
package peer

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// DefaultSessionTTL is the sliding session lifetime when Config leaves it 0.
const DefaultSessionTTL = 24 * time.Hour

// User is a user the peer can log in, with its password in clear (the peer
// stores a SHA-256 of it; login is not on a measured path).
type User struct {
	server.User
	Password string
}

// Config is the data the peer serves: one organization's users, agents and
// call logs (newest first). SessionTTL defaults to DefaultSessionTTL.
type Config struct {
	Users      []User
	Agents     []*server.Agent
	CallLogs   []*server.CallLog
	Analytics  map[string]*server.Analytics // by organization id
	SessionTTL time.Duration
}

type handler struct {
	ttl       time.Duration
	users     map[string]*server.User // by lower-cased email
	usersByID map[string]*server.User
	passwords map[string][32]byte // by user id

	mu       sync.Mutex
	sessions map[string]*server.Session

	agentMu sync.RWMutex
	agents  map[string]*server.Agent // the "cache": by id
	byOrg   map[string][]*server.Agent

	logs      map[string][]*server.CallLog // by organization, newest first
	analytics map[string]*server.Analytics
}

// New returns the peer's routes over the data of cfg.
func New(cfg Config) http.Handler {
	h := &handler{
		ttl: cfg.SessionTTL, users: map[string]*server.User{}, usersByID: map[string]*server.User{},
		passwords: map[string][32]byte{}, sessions: map[string]*server.Session{},
		agents: map[string]*server.Agent{}, byOrg: map[string][]*server.Agent{},
		logs: map[string][]*server.CallLog{}, analytics: cfg.Analytics,
	}
	if h.ttl <= 0 {
		h.ttl = DefaultSessionTTL
	}
	for i := range cfg.Users {
		u := cfg.Users[i].User
		h.users[strings.ToLower(u.Email)] = &u
		h.usersByID[u.ID] = &u
		h.passwords[u.ID] = sha256.Sum256([]byte(cfg.Users[i].Password))
	}
	for _, a := range cfg.Agents {
		h.agents[a.ID] = a
		h.byOrg[a.OrganizationID] = append(h.byOrg[a.OrganizationID], a)
	}
	for _, l := range cfg.CallLogs {
		h.logs[l.OrganizationID] = append(h.logs[l.OrganizationID], l)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health/live", h.live)
	mux.HandleFunc("POST /api/login", h.login)
	mux.HandleFunc("GET /api/auth/user", h.authUser)
	mux.HandleFunc("GET /api/agents", h.listAgents)
	mux.HandleFunc("GET /api/agents/{id}", h.getAgent)
	mux.HandleFunc("GET /api/analytics/organization", h.getAnalytics)
	mux.HandleFunc("GET /api/call-logs", h.listCallLogs)
	return mux
}

func (h *handler) live(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, server.EINVALID, "malformed JSON")
		return
	}
	u, ok := h.users[strings.ToLower(in.Email)]
	sum := sha256.Sum256([]byte(in.Password))
	if !ok || subtle.ConstantTimeCompare(sum[:], h.passwordOf(u)) != 1 {
		writeError(w, http.StatusUnauthorized, server.EUNAUTHORIZED, "invalid email or password")
		return
	}
	var raw [32]byte
	_, _ = rand.Read(raw[:])
	now := time.Now()
	s := &server.Session{ID: base64.RawURLEncoding.EncodeToString(raw[:]), UserID: u.ID,
		OrganizationID: u.OrganizationID, CreatedAt: now, ExpiresAt: now.Add(h.ttl)}
	h.mu.Lock()
	h.sessions[s.ID] = s
	h.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "sid", Value: s.ID, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	writeJSON(w, http.StatusOK, u)
}

func (h *handler) passwordOf(u *server.User) []byte {
	if u == nil {
		return make([]byte, 32)
	}
	p := h.passwords[u.ID]
	return p[:]
}

// session checks the sid cookie with sliding expiry; it answers 401 itself.
func (h *handler) session(w http.ResponseWriter, r *http.Request) (server.Session, bool) {
	c, err := r.Cookie("sid")
	if err == nil {
		now := time.Now()
		h.mu.Lock()
		s, ok := h.sessions[c.Value]
		if ok && now.Before(s.ExpiresAt) {
			s.ExpiresAt = now.Add(h.ttl)
			cp := *s
			h.mu.Unlock()
			return cp, true
		}
		h.mu.Unlock()
	}
	writeError(w, http.StatusUnauthorized, server.EUNAUTHORIZED, "not logged in")
	return server.Session{}, false
}

func (h *handler) authUser(w http.ResponseWriter, r *http.Request) {
	s, ok := h.session(w, r)
	if !ok {
		return
	}
	u, ok := h.usersByID[s.UserID]
	if !ok {
		writeError(w, http.StatusUnauthorized, server.EUNAUTHORIZED, "not logged in")
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (h *handler) listAgents(w http.ResponseWriter, r *http.Request) {
	s, ok := h.session(w, r)
	if !ok {
		return
	}
	h.agentMu.RLock()
	list := h.byOrg[s.OrganizationID]
	h.agentMu.RUnlock()
	if list == nil {
		list = []*server.Agent{}
	}
	writeJSON(w, http.StatusOK, list)
}

func (h *handler) getAgent(w http.ResponseWriter, r *http.Request) {
	s, ok := h.session(w, r)
	if !ok {
		return
	}
	h.agentMu.RLock()
	a, ok := h.agents[r.PathValue("id")]
	h.agentMu.RUnlock()
	if !ok || a.OrganizationID != s.OrganizationID {
		writeError(w, http.StatusNotFound, server.ENOTFOUND, "agent not found")
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (h *handler) getAnalytics(w http.ResponseWriter, r *http.Request) {
	s, ok := h.session(w, r)
	if !ok {
		return
	}
	a := h.analytics[s.OrganizationID]
	if a == nil {
		a = &server.Analytics{}
	}
	writeJSON(w, http.StatusOK, a)
}

func (h *handler) listCallLogs(w http.ResponseWriter, r *http.Request) {
	s, ok := h.session(w, r)
	if !ok {
		return
	}
	limit := server.DefaultCallLogPageSize
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > server.MaxCallLogPageSize {
			writeError(w, http.StatusBadRequest, server.EINVALID, "limit must be 1..100")
			return
		}
		limit = n
	}
	all := h.logs[s.OrganizationID]
	page := &server.CallLogPage{Data: all[:min(limit, len(all))], Total: int64(len(all)), Page: 1, PageSize: limit,
		TotalPages: (int64(len(all)) + int64(limit) - 1) / int64(limit)}
	if page.Data == nil {
		page.Data = []*server.CallLog{}
	}
	writeJSON(w, http.StatusOK, page)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]map[string]string{"error": {"code": code, "message": msg}})
}
