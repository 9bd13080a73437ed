package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/echosenseix/echosenseix/bench/internal/load"
	"github.com/echosenseix/echosenseix/loadtests/loadgen"
)

// otlpSink is a loopback OTLP/HTTP endpoint for the tracing-on server: it
// reads each export whole and answers success (an empty
// ExportTraceServiceResponse is zero bytes), counting what it got.
type otlpSink struct {
	srv            *http.Server
	url            string
	exports, bytes atomic.Int64
}

func startOTLPSink() (*otlpSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &otlpSink{url: "http://" + ln.Addr().String()}
	s.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		s.exports.Add(1)
		s.bytes.Add(n)
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	})}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = ln.Close()
		}
	}()
	return s, nil
}

func (s *otlpSink) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}

// setupTracing starts "ours-tracing": the "ours" server (same settings, same
// database or the same in-memory seed size) with OTEL_EXPORTER_OTLP_ENDPOINT
// set, every request sampled, spans exported to a loopback sink; its
// /health/live and cached agent read run interleaved with ours' (tracing
// off) so the pair's ratio is the cost of tracing on.
func (m *macro) setupTracing(ctx context.Context, bin string, base []string, sd loadgen.Seed, memorySeed bool) {
	sink, err := startOTLPSink()
	if err != nil {
		m.note("tracing on/off skipped: cannot start the OTLP sink: %v", err)
		return
	}
	m.stops = append(m.stops, func() {
		m.note("tracing on: the OTLP sink received %d exports, %d bytes", sink.exports.Load(), sink.bytes.Load())
		sink.close()
	})
	env := append(base[:len(base):len(base)], "INGEST_BATCH_ENABLED=true", "OTEL_EXPORTER_OTLP_ENDPOINT="+sink.url, "OTEL_TRACES_SAMPLER_ARG=1")
	seedTo := filepath.Join(m.dir, "seed-tracing.json")
	if memorySeed {
		env = append(env, "SEED_OUT="+seedTo)
	}
	p := m.startOurs(ctx, "ours-tracing", bin, env)
	if p == nil {
		return
	}
	if memorySeed {
		if sd, err = loadgen.ReadSeed(seedTo); err != nil {
			m.note("ours-tracing: %v; only /health/live is measured", err)
		}
	}
	m.add(gHealth, "health-live", "ours-tracing", m.cfg.Conns, p, load.Target{Paths: []string{"/health/live"}})
	if err == nil {
		m.addAuthed(p, "ours-tracing", sd, false)
	}
}
