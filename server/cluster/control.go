package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// Private socket paths inside the cluster directory.
func primarySocket(dir string) string { return filepath.Join(dir, "primary.sock") }
func workerSocket(dir string, pid int) string {
	return filepath.Join(dir, "w-"+strconv.Itoa(pid)+".sock")
}

// unixClient talks HTTP over the unix socket at path.
func unixClient(path string, timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", path)
			},
			DisableKeepAlives: true,
		},
	}
}

// serveControl serves the primary's private socket: /metrics (the merged
// families, protobuf-delimited) and /workers (JSON []WorkerStatus).
func (p *Primary) serveControl() (*http.Server, error) {
	ln, err := net.Listen("unix", primarySocket(p.dir))
	if err != nil {
		return nil, fmt.Errorf("cannot listen on cluster control socket: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		fams, err := p.Gather(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", string(protoFormat))
		_ = writeFamilies(w, fams)
	})
	mux.HandleFunc("GET /workers", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(p.Workers())
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return srv, nil
}

// Gather answers the cluster's metrics: every ready worker's local registry
// with worker="<slot>" (series of one slot's old and new process summed),
// then the primary's Registry as it is.
func (p *Primary) Gather(ctx context.Context) ([]*dto.MetricFamily, error) {
	procs := p.readyProcs()
	results := make([][]*dto.MetricFamily, len(procs))
	var wg sync.WaitGroup
	for i, pr := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fams, err := p.scrapeWorker(ctx, pr)
			if err != nil {
				p.log.Warn("cluster: cannot gather worker metrics", "slot", pr.slot, "pid", pr.pid, "err", err)
				return
			}
			results[i] = fams
		}()
	}
	wg.Wait()
	m := newMerger()
	for i, fams := range results {
		m.add(fams, strconv.Itoa(procs[i].slot))
	}
	own, err := p.cfg.Registry.Gather()
	if err != nil {
		return nil, fmt.Errorf("cannot gather primary metrics: %w", err)
	}
	m.add(own, "")
	return m.families(), nil
}

func (p *Primary) readyProcs() []*proc {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*proc, 0, len(p.live))
	for _, pr := range p.live {
		if pr.isReady() && !pr.exited() {
			out = append(out, pr)
		}
	}
	return out
}

func (p *Primary) scrapeWorker(ctx context.Context, pr *proc) ([]*dto.MetricFamily, error) {
	c := unixClient(workerSocket(p.dir, pr.pid), p.cfg.ScrapeTimeout)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://worker/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("worker metrics answered %s", resp.Status)
	}
	return readFamilies(resp.Body)
}
