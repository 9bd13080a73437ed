package proof

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/procfs"

	"github.com/echosenseix/echosenseix/internal/pglocal"
	"github.com/echosenseix/echosenseix/loadtests/tunecli"
)

// PGRun is one benchmark on one instance.
type PGRun struct {
	Profile string  `json:"profile"`
	Bench   string  `json:"bench"` // ingest or select
	Value   float64 `json:"value"` // rows/s or tps
}

// PostgresResult is the Postgres comparison.
type PostgresResult struct {
	Source   string            `json:"source"` // where the tuned conf came from
	Conf     map[string]string `json:"conf"`
	Shown    map[string]string `json:"shown"` // SHOW on the tuned instance
	Host     Host              `json:"host"`
	Runs     []PGRun           `json:"runs"`
	Scale    int               `json:"pgbenchScale"`
	Clients  int               `json:"pgbenchClients"`
	Seconds  int               `json:"pgbenchSeconds"`
	Ingest   string            `json:"ingestBench"`
	Defaults map[string]string `json:"defaultsShown"`
}

// pgbench sizes: scale 30 is ~450 MB of tables, more than the default
// shared_buffers (128 MB) and less than the tuned one.
const (
	pgbenchScale   = 30
	pgbenchClients = 8
	ingestBench    = "BenchmarkIngest/group/default$"
)

// Postgres starts a default and a tuned instance, then runs the ingestion
// benchmark and pgbench select-only rounds times on each, alternating.
func Postgres(ctx context.Context, tool tunecli.Tool, tier string, rounds, seconds int) (PostgresResult, error) {
	res := PostgresResult{Scale: pgbenchScale, Clients: pgbenchClients, Seconds: seconds, Ingest: ingestBench}
	var err error
	if res.Conf, res.Source, res.Host, err = tunedConf(ctx, tool, tier); err != nil {
		return res, err
	}
	ingest, err := buildIngestBench(ctx)
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(filepath.Dir(ingest))
	inst := map[string]*pgInstance{}
	for _, profile := range []string{Defaults, Tuned} {
		conf := ""
		if profile == Tuned {
			conf = ConfText(res.Conf)
		}
		p, err := startPostgres(ctx, conf)
		if err != nil {
			return res, fmt.Errorf("%s: %w", profile, err)
		}
		defer p.stop()
		inst[profile] = p
		if err := pgbenchInit(ctx, p); err != nil {
			return res, err
		}
	}
	res.Shown, res.Defaults = showAll(ctx, inst[Tuned], res.Conf), showAll(ctx, inst[Defaults], res.Conf)
	for r := 0; r < rounds; r++ {
		for _, profile := range order(r) {
			v, err := runIngest(ctx, ingest, inst[profile])
			if err != nil {
				return res, err
			}
			res.Runs = append(res.Runs, PGRun{Profile: profile, Bench: "ingest", Value: v})
			tps, err := pgbenchSelect(ctx, inst[profile], seconds)
			if err != nil {
				return res, err
			}
			res.Runs = append(res.Runs, PGRun{Profile: profile, Bench: "select", Value: tps})
			fmt.Fprintf(os.Stderr, "tuning-proof: postgres %s round %d: ingest %.0f rows/s, select %.0f tps\n", profile, r+1, v, tps)
		}
	}
	return res, nil
}

// tunedConf is `tune plan --role postgres` for this host, or PGTune's
// formulas computed here when the tool is absent.
func tunedConf(ctx context.Context, tool tunecli.Tool, tier string) (map[string]string, string, Host, error) {
	h := Host{CPUs: runtime.NumCPU(), Storage: "ssd", MaxConns: 120}
	if fs, err := procfs.NewDefaultFS(); err == nil {
		if mi, err := fs.Meminfo(); err == nil && mi.MemTotal != nil {
			h.RAMBytes = *mi.MemTotal * 1024
		}
	}
	if h.RAMBytes == 0 {
		return nil, "", h, fmt.Errorf("cannot read MemTotal from /proc/meminfo")
	}
	if tool.Available() {
		conf, line, err := tool.PlanPostgres(ctx, tier, PGTuneKeys)
		return conf, "`" + line + "`", h, err
	}
	return PGTuneWeb(h), "PGTune's web formulas computed by the proof (" + tunecli.DefaultBin + " " + tunecli.NotAvailable +
		"): this host's RAM and CPUs, storage assumed ssd, max_connections 120 (one server's pool of 100 + 20)", h, nil
}

func showAll(ctx context.Context, p *pgInstance, conf map[string]string) map[string]string {
	m := map[string]string{}
	for k := range conf {
		m[k] = p.show(ctx, k)
	}
	return m
}

// buildIngestBench compiles the group-commit package's benchmarks once.
func buildIngestBench(ctx context.Context) (string, error) {
	dir, err := os.MkdirTemp("", "es-proof-bench-")
	if err != nil {
		return "", fmt.Errorf("cannot create bench dir: %w", err)
	}
	bin := filepath.Join(dir, "groupcommit.test")
	out, err := exec.CommandContext(ctx, "go", "test", "-c", "-o", bin, "./server/internal/groupcommit").CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("cannot build the ingestion benchmark: %v: %s", err, out)
	}
	return bin, nil
}

var rowsRe = regexp.MustCompile(`([0-9.e+]+) rows/s`)

// runIngest runs the batched webhook ingestion benchmark against p.
func runIngest(ctx context.Context, bin string, p *pgInstance) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-test.run", "^$", "-test.bench", ingestBench, "-test.benchtime", "3s")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+p.DSN())
	cmd.Dir = filepath.Join("server", "internal", "groupcommit")
	out, err := cmd.CombinedOutput()
	m := rowsRe.FindStringSubmatch(string(out))
	if err != nil || m == nil {
		return 0, fmt.Errorf("cannot run the ingestion benchmark: %v: %s", err, pglocal.LastLines(string(out), 1))
	}
	return strconv.ParseFloat(m[1], 64)
}

func pgbench(ctx context.Context, p *pgInstance, args ...string) (string, error) {
	base := []string{"-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-U", "postgres"}
	out, err := exec.CommandContext(ctx, filepath.Join(p.bin, "pgbench"), append(base, append(args, "postgres")...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("cannot run pgbench %s: %v: %s", strings.Join(args, " "), err, pglocal.LastLines(string(out), 1))
	}
	return string(out), nil
}

func pgbenchInit(ctx context.Context, p *pgInstance) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	_, err := pgbench(ctx, p, "-i", "-q", "-s", strconv.Itoa(pgbenchScale))
	return err
}

var tpsRe = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// pgbenchSelect runs select-only (prepared) for seconds and answers tps.
func pgbenchSelect(ctx context.Context, p *pgInstance, seconds int) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(seconds+60)*time.Second)
	defer cancel()
	out, err := pgbench(ctx, p, "-S", "-M", "prepared", "-c", strconv.Itoa(pgbenchClients), "-j", "2", "-T", strconv.Itoa(seconds))
	if err != nil {
		return 0, err
	}
	m := tpsRe.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("cannot read pgbench tps: %s", pglocal.LastLines(out, 1))
	}
	return strconv.ParseFloat(m[1], 64)
}
