package httpapi_test

import (
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/common/ut"

	"github.com/echosenseix/echosenseix/server/httpapi"
	"github.com/echosenseix/echosenseix/server/internal/shed"
)

// Benchmarks run in process through hertz's ut.PerformRequest, which builds
// a fresh RequestContext per call: compare the routes with each other (the
// ut overhead is the same in both), not with a network server.

func BenchmarkHealthLive(b *testing.B) {
	e := newEnv(b, backends[0])
	eng := e.srv.Engine()
	b.ReportAllocs()
	for b.Loop() {
		if w := ut.PerformRequest(eng, "GET", "/health/live", nil); w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkAgentCached is the read-hot path: session cookie, memoised
// identity, cache hit written as stored bytes.
func BenchmarkAgentCached(b *testing.B) { benchAgentCached(b, nil) }

// benchAgentCached runs BenchmarkAgentCached's loop with overload limit lim
// (nil: none).
func benchAgentCached(b *testing.B, lim *shed.Config) {
	e := newEnv(b, backends[0], func(c *httpapiConfig, _ *httpapiDeps) {
		c.SessionCacheTTL = time.Minute
		c.Overload = lim
	})
	eng := e.srv.Engine()
	path := "/api/agents/" + e.a.agent.ID
	hdr := ut.Header{Key: "Cookie", Value: e.a.cookie}
	if w := ut.PerformRequest(eng, "GET", path, nil, hdr); w.Code != 200 {
		b.Fatal(w.Code)
	}
	b.ReportAllocs()
	for b.Loop() {
		if w := ut.PerformRequest(eng, "GET", path, nil, hdr); w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkAgentCachedNoMemo is the same with every request reading the
// SessionStore (SessionCacheTTL disabled).
func BenchmarkAgentCachedNoMemo(b *testing.B) {
	e := newEnv(b, backends[0])
	eng := e.srv.Engine()
	path := "/api/agents/" + e.a.agent.ID
	hdr := ut.Header{Key: "Cookie", Value: e.a.cookie}
	b.ReportAllocs()
	for b.Loop() {
		if w := ut.PerformRequest(eng, "GET", path, nil, hdr); w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkWebhookDuplicate measures the webhook path up to the ingester
// (signature, lookup through the cache, decode, validation) with a
// duplicate delivery so the store does no new work.
func BenchmarkWebhookDuplicate(b *testing.B) {
	e := newEnv(b, backends[0])
	eng := e.srv.Engine()
	body := postCallBody(e.a.agent.ExternalAgentID, "conv-bench", 60)
	sig := ut.Header{Key: httpapi.SignatureHeader, Value: httpapi.Sign([]byte(e.a.org.WebhookSecret), []byte(body), time.Now())}
	ct := ut.Header{Key: "Content-Type", Value: "application/json"}
	bb := []byte(body)
	b.ReportAllocs()
	for b.Loop() {
		w := ut.PerformRequest(eng, "POST", "/api/webhooks/post-call", &ut.Body{Body: bytesReader(bb), Len: len(bb)}, sig, ct)
		if w.Code != 200 {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}

// BenchmarkAgentCachedShed is BenchmarkAgentCached without and with the
// overload limit: what the limiter costs a request on the fast path.
func BenchmarkAgentCachedShed(b *testing.B) {
	b.Run("off", func(b *testing.B) { benchAgentCached(b, nil) })
	b.Run("on", func(b *testing.B) { benchAgentCached(b, &shed.Config{}) })
}
