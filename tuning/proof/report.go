package proof

import (
	"cmp"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/echosenseix/echosenseix/loadtests/tunecli"
)

// Report is everything one proof run measured.
type Report struct {
	Start         time.Time      `json:"start"`
	Seconds       float64        `json:"seconds"`
	Tier          string         `json:"tier"`
	ToolAvailable bool           `json:"toolAvailable"`
	Machine       string         `json:"machine"`
	Kernel        KernelResult   `json:"kernel"`
	Postgres      PostgresResult `json:"postgres"`
}

// Write puts report.md, proof.png and results.json.gz in root/<timestamp>/.
func Write(root string, r *Report) (string, error) {
	r.Seconds = time.Since(r.Start).Seconds()
	r.Machine = machine()
	dir := filepath.Join(root, r.Start.Format("20060102T150405Z"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("cannot create results dir: %w", err)
	}
	if err := render(dir, r); err != nil {
		return "", err
	}
	return dir, writeGzipJSON(filepath.Join(dir, "results.json.gz"), r)
}

// Render rewrites report.md and proof.png of dir from its results.json.gz
// (the measured figures are kept; only their presentation is redone).
func Render(dir string) error {
	f, err := os.Open(filepath.Join(dir, "results.json.gz"))
	if err != nil {
		return fmt.Errorf("cannot open results: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("cannot read results: %w", err)
	}
	var r Report
	if err := json.NewDecoder(zr).Decode(&r); err != nil {
		return fmt.Errorf("cannot decode results: %w", err)
	}
	return render(dir, &r)
}

func render(dir string, r *Report) error {
	if err := os.WriteFile(filepath.Join(dir, "report.md"), []byte(Markdown(r)), 0o644); err != nil {
		return fmt.Errorf("cannot write report.md: %w", err)
	}
	return WritePNG(filepath.Join(dir, "proof.png"), r)
}

func writeGzipJSON(path string, v any) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("cannot create %s: %w", path, err)
	}
	defer f.Close()
	zw := gzip.NewWriter(f)
	if err := json.NewEncoder(zw).Encode(v); err != nil {
		return fmt.Errorf("cannot encode results: %w", err)
	}
	return zw.Close()
}

func machine() string {
	host, _ := os.Hostname()
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return fmt.Sprintf("%s, %d CPU, kernel %s, %s", host, runtime.NumCPU(), strings.TrimSpace(string(kernel)), runtime.Version())
}

// Markdown renders the report.
func Markdown(r *Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Tuning proof, %s\n\n", r.Start.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "Machine: %s (shared with other work during the run: only ratios measured in this same run are quoted). "+
		"Profile tier %s. Took %.0f s. Picture: `proof.png`; every figure: `results.json.gz`.\n\n", r.Machine, r.Tier, r.Seconds)
	if !r.ToolAvailable {
		fmt.Fprintf(&b, "**%s was not available**: the tuned namespace got the explicit fallback list below and the tuned "+
			"Postgres PGTune's formulas computed by the proof, not the profiles' files.\n\n", tunecli.DefaultBin)
	}
	kernelSection(&b, &r.Kernel)
	if len(r.Postgres.Runs) > 0 {
		postgresSection(&b, &r.Postgres)
	}
	return b.String()
}

func kernelSection(b *strings.Builder, k *KernelResult) {
	c := k.Config
	fmt.Fprintf(b, "## Kernel: %d new connections in %s against a listener whose accept loop is busy for %s\n\n", c.Conns, c.Spread, c.Busy)
	fmt.Fprintf(b, "Each round runs in a fresh network namespace (`ip netns add`, loopback only), listener and %d dialer processes "+
		"started there with `ip netns exec` (connect timeout %s); the counters are `nstat` read inside that namespace. "+
		"Tuned namespace set by: %s.\n\n", c.Procs, c.DialTimeout, k.Applied)
	b.WriteString("| round | profile | attempts | connected | connect errors | ListenOverflows | ListenDrops | softnet drops (host) | p50 ms | p99 ms | max ms |\n")
	b.WriteString("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for i, x := range k.Bursts {
		fmt.Fprintf(b, "| %d | %s | %d | %d | %d %s | %d | %d | %d | %.2f | %.2f | %.1f |\n", i/2+1, x.Profile, x.Attempts, x.Connected,
			x.Errors, kinds(x.ErrorKinds), x.ListenOverflows, x.ListenDrops, x.SoftnetDrops, x.P50Ms, x.P99Ms, x.MaxMs)
	}
	b.WriteString("\n| figure (mean of rounds) | defaults | tuned | defaults / tuned | measurable here? |\n|---|---:|---:|---:|---|\n")
	for _, f := range []struct {
		name string
		f    func(BurstResult) float64
	}{
		{"connect errors", func(x BurstResult) float64 { return float64(x.Errors) }},
		{"TcpExtListenOverflows", func(x BurstResult) float64 { return float64(x.ListenOverflows) }},
		{"TcpExtListenDrops", func(x BurstResult) float64 { return float64(x.ListenDrops) }},
		{"softnet drops (host-wide)", func(x BurstResult) float64 { return float64(x.SoftnetDrops) }},
		{"connect p99 ms", func(x BurstResult) float64 { return x.P99Ms }},
		{"connect p50 ms", func(x BurstResult) float64 { return x.P50Ms }},
	} {
		d, t := burstStat(k.Bursts, Defaults, f.f), burstStat(k.Bursts, Tuned, f.f)
		row(b, f.name, d, t, Ratio(d.Mean, t.Mean))
	}
	b.WriteString("\nnet.* in force (read inside each namespace):\n\n| key | defaults | tuned |\n|---|---|---|\n")
	if len(k.Bursts) >= 2 {
		sysctlRows(b, k.Bursts[0].Sysctls, k.Bursts[1].Sysctls)
	}
	fmt.Fprintf(b, "\nnet.core.netdev_max_backlog (here %s) is not compared: it is global (it exists only in the host's namespace, "+
		"so a namespace cannot get the profile's value). Loopback packets do pass the per-CPU input backlog it bounds; its drops "+
		"(/proc/net/softnet_stat, host-wide, other traffic included) are in the table: %s fs.file-max and fs.nr_open are "+
		"global too; the open-file limit (20,000 per process here) is why the dialers are several processes.\n\n",
		cmp.Or(k.NetdevMaxBacklog, "not recorded"), softnetVerdict(k.Bursts))
}

func postgresSection(b *strings.Builder, p *PostgresResult) {
	b.WriteString("## Postgres: defaults against the tuned postgresql.conf\n\n")
	fmt.Fprintf(b, "Two throwaway instances from the local binaries (initdb, pg_ctl) on free ports, same machine, same time. "+
		"Tuned conf from %s. Host facts: %.1f GiB RAM, %d CPUs, %s.\n\n", p.Source, float64(p.Host.RAMBytes)/(1<<30), p.Host.CPUs, p.Host.Storage)
	b.WriteString("| setting | defaults (SHOW) | tuned (SHOW) |\n|---|---|---|\n")
	sysctlRows(b, p.Defaults, p.Shown)
	fmt.Fprintf(b, "\nBenchmarks, defaults and tuned in each round, which goes first alternating: the batched webhook ingestion (`go test -bench '%s' "+
		"-benchtime 3s ./server/internal/groupcommit`, 256 concurrent ingests, rows/s) and `pgbench -S -M prepared -c %d -j 2 -T %d` "+
		"(select-only, scale %d, ~%d MB: larger than the default shared_buffers, smaller than the tuned).\n\n",
		p.Ingest, p.Clients, p.Seconds, p.Scale, p.Scale*15)
	b.WriteString("| benchmark | defaults (rounds) | tuned (rounds) | tuned / defaults | measurable here? |\n|---|---:|---:|---:|---|\n")
	for _, x := range []struct{ bench, name string }{{"ingest", "ingestion rows/s"}, {"select", "pgbench select-only tps"}} {
		d, t := pgStat(p.Runs, Defaults, x.bench), pgStat(p.Runs, Tuned, x.bench)
		fmt.Fprintf(b, "| %s | %s | %s | %.2fx | %s |\n", x.name, rounds(p.Runs, Defaults, x.bench), rounds(p.Runs, Tuned, x.bench),
			Ratio(t.Mean, d.Mean), verdictText(d, t))
	}
	b.WriteString("\n")
}

func row(b *strings.Builder, name string, d, t Stat, ratio float64) {
	r := fmt.Sprintf("%.2fx", ratio)
	if math.IsNaN(ratio) {
		r = "— (tuned 0)"
	}
	fmt.Fprintf(b, "| %s | %.2f (%.2f-%.2f) | %.2f (%.2f-%.2f) | %s | %s |\n", name, d.Mean, d.Min, d.Max, t.Mean, t.Min, t.Max, r, verdictText(d, t))
}

func verdictText(d, t Stat) string {
	if d.N < 2 || t.N < 2 {
		return "unknown: one round only"
	}
	if Measurable(d, t) {
		return "yes"
	}
	return "no: the rounds overlap or differ by under 5 %"
}

func rounds(rs []PGRun, profile, bench string) string {
	var vs []string
	for _, r := range rs {
		if r.Profile == profile && r.Bench == bench {
			vs = append(vs, fmt.Sprintf("%.0f", r.Value))
		}
	}
	return strings.Join(vs, ", ")
}

func kinds(m map[string]int64) string {
	if len(m) == 0 {
		return ""
	}
	keys := slices.Sorted(maps.Keys(m))
	for i, k := range keys {
		keys[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return "(" + strings.Join(keys, ", ") + ")"
}

func sysctlRows(b *strings.Builder, d, t map[string]string) {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	for k := range d {
		if _, ok := t[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		mark := ""
		if d[k] != t[k] {
			mark = " **(changed)**"
		}
		fmt.Fprintf(b, "| %s | %s | %s%s |\n", k, d[k], t[k], mark)
	}
}

// softnetVerdict says what the backlog drops mean for this run.
func softnetVerdict(bs []BurstResult) string {
	var n int64
	for _, b := range bs {
		n += b.SoftnetDrops
	}
	if n == 0 {
		return "0 in every burst, so that backlog did not limit this burst on this machine."
	}
	return fmt.Sprintf("%d in all, each costing its connection a SYN retransmit (1 s) in whichever namespace it hit.", n)
}

// ReadProc answers a /proc file's trimmed text ("unreadable" on error).
func ReadProc(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unreadable"
	}
	return strings.TrimSpace(string(b))
}
