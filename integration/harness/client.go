package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/seed"
	"github.com/echosenseix/echosenseix/internal/webhook"
	"github.com/echosenseix/echosenseix/server"
)

// SessionCookie is the name of the server's session cookie.
const SessionCookie = server.SessionCookie

// RequestTimeout bounds one request of a Client.
const RequestTimeout = 10 * time.Second

// sharedTransport keeps connections to every instance alive between
// requests.
var sharedTransport = &http.Transport{
	MaxIdleConns:        512,
	MaxIdleConnsPerHost: 64,
	IdleConnTimeout:     30 * time.Second,
}

// Client sends requests to any instance with one session cookie (empty for
// an anonymous client): a session made on one instance is presented to
// another as a browser behind a load balancer would.
type Client struct {
	HTTP *http.Client
	SID  string // value of the sid cookie; empty sends none
}

// NewClient returns an anonymous client with RequestTimeout.
func NewClient() *Client {
	return &Client{HTTP: &http.Client{Timeout: RequestTimeout, Transport: sharedTransport}}
}

// Response is a whole answer.
type Response struct {
	Status  int
	Header  http.Header
	Body    []byte
	Latency time.Duration
}

// JSON decodes the body into v.
func (r *Response) JSON(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("cannot decode %d answer %q: %w", r.Status, truncate(r.Body), err)
	}
	return nil
}

func (r *Response) String() string { return fmt.Sprintf("%d %s", r.Status, truncate(r.Body)) }

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

// Do sends method url with body (nil, []byte sent as is, or a value encoded
// as JSON) and hdr pairs ("Name", "value", ...), and reads the whole answer.
func (c *Client) Do(method, url string, body any, hdr ...string) (*Response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("cannot encode request body: %w", err)
		}
		rd = bytes.NewReader(j)
	}
	ctx, cancel := context.WithTimeout(context.Background(), RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, fmt.Errorf("cannot build request: %w", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k := 0; k+1 < len(hdr); k += 2 {
		req.Header.Set(hdr[k], hdr[k+1])
	}
	if c.SID != "" {
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: c.SID})
	}
	start := time.Now()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("cannot read answer of %s %s: %w", method, url, err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b, Latency: time.Since(start)}, nil
}

// Must is Do that fails tb on a transport error or a status other than want.
func (c *Client) Must(tb testing.TB, want int, method, url string, body any, hdr ...string) *Response {
	tb.Helper()
	r, err := c.Do(method, url, body, hdr...)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	if r.Status != want {
		tb.Fatalf("%s %s = %s; want %d", method, url, r, want)
	}
	return r
}

// Login logs email in on inst and answers a client carrying the session
// cookie (usable against every instance sharing the session store).
func Login(tb testing.TB, inst *Instance, email, password string) *Client {
	tb.Helper()
	c := NewClient()
	r := c.Must(tb, 200, "POST", inst.URL+"/api/login", map[string]string{"email": email, "password": password})
	for _, ck := range (&http.Response{Header: r.Header}).Cookies() {
		if ck.Name == SessionCookie && ck.Value != "" {
			c.SID = ck.Value
		}
	}
	if c.SID == "" {
		tb.Fatalf("login on %s: no %s cookie in %v", inst.Name, SessionCookie, r.Header.Values("Set-Cookie"))
	}
	return c
}

// SeedData is the JSON `echosenseix seed` prints (see internal/seed).
type SeedData = seed.File

// SeedOrg, SeedUser and SeedAgent are the parts of SeedData.
type (
	SeedOrg   = seed.Org
	SeedUser  = seed.User
	SeedAgent = seed.Agent
)

// Seed runs `echosenseix seed` against dsn (which migrates first) and
// answers what it created.
func Seed(tb testing.TB, dsn string, orgs, users, agents int) *SeedData {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, Binary(tb), "seed", "--orgs", strconv.Itoa(orgs),
		"--users", strconv.Itoa(users), "--agents", strconv.Itoa(agents))
	cmd.Env = environ(map[string]string{"DATABASE_URL": dsn, "LOG_LEVEL": "warn"})
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("harness: echosenseix seed: %v\n%s", err, stderr.String())
	}
	var d SeedData
	if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
		tb.Fatalf("harness: cannot decode seed output %q: %v", truncate(stdout.Bytes()), err)
	}
	if len(d.Organizations) != orgs {
		tb.Fatalf("harness: seed made %d organizations; want %d", len(d.Organizations), orgs)
	}
	return &d
}

// SignatureHeader is the header carrying a post-call webhook's signature.
const SignatureHeader = webhook.Header

// SignWebhook answers the signature header value of body signed now with
// secret.
func SignWebhook(secret string, body []byte) string {
	return SignWebhookAt(secret, body, time.Now())
}

// SignWebhookAt is SignWebhook at time t.
func SignWebhookAt(secret string, body []byte, t time.Time) string {
	return webhook.Sign([]byte(secret), body, t)
}

// PostCallBody is a minimal post_call_transcription webhook for the agent
// with externalAgentID.
func PostCallBody(externalAgentID, conversationID string, durationSecs int) []byte {
	return webhook.PostCallBody(externalAgentID, conversationID, time.Now().Unix(), durationSecs)
}
