package harness_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/integration/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

func TestSignWebhookAt(t *testing.T) {
	body := []byte(`{"type":"post_call_transcription"}`)
	at := time.Unix(1700000000, 0)
	got := harness.SignWebhookAt("whsec_x", body, at)
	m := hmac.New(sha256.New, []byte("whsec_x"))
	m.Write([]byte("1700000000." + string(body)))
	want := "t=1700000000,v0=" + hex.EncodeToString(m.Sum(nil))
	if got != want {
		t.Errorf("SignWebhookAt = %q; want %q", got, want)
	}
}

func TestMetric(t *testing.T) {
	body := []byte(`# HELP http_requests_total x
# TYPE http_requests_total counter
http_requests_total{code="200",method="GET",route="/api/agents/:id"} 7
http_requests_total{code="500",method="GET",route="/api/agents/:id"} 2
http_requests_total{code="200",method="POST",route="/api/login"} 3
http_requests_total_other 100
up 1
`)
	for _, tc := range []struct {
		name  string
		match []string
		want  float64
	}{
		{"http_requests_total", nil, 12},
		{"http_requests_total", []string{`code="200"`}, 10},
		{"http_requests_total", []string{`code="500"`, `route="/api/agents/:id"`}, 2},
		{"up", nil, 1},
		{"absent", nil, 0},
	} {
		if got := harness.Metric(body, tc.name, tc.match...); got != tc.want {
			t.Errorf("Metric(%s, %v) = %v; want %v", tc.name, tc.match, got, tc.want)
		}
	}
}

// TestInstanceLifecycle starts one in-memory instance, checks it serves and
// refuses a bad login, and stops it with SIGTERM (exit 0).
func TestInstanceLifecycle(t *testing.T) {
	inst := harness.StartInstance(t, nil)
	c := harness.NewClient()
	c.Must(t, 200, "GET", inst.URL+"/health/live", nil)
	r := c.Must(t, 401, "POST", inst.URL+"/api/login", map[string]string{"email": "nobody@example.com", "password": "x"})
	if !strings.Contains(string(r.Body), "invalid") {
		t.Errorf("bad login body = %s; want an invalid-credentials error", r.Body)
	}
	if code := inst.Stop(); code != 0 {
		t.Errorf("exit code after SIGTERM = %d; want 0\n%s", code, inst.LogTail())
	}
	select {
	case <-inst.Done():
	default:
		t.Error("Done not closed after Stop")
	}
}
