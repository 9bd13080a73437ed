package deploy

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"

	"github.com/echosenseix/echosenseix/tuning"
)

// composeEnv are the variables docker-compose.yml requires (it refuses to
// load without them).
var composeEnv = []string{"POSTGRES_PASSWORD=0123456789abcdef", "REALTIME_TOKEN_SECRET=" + strings.Repeat("ab", 32),
	"GRAFANA_ADMIN_PASSWORD=0123456789abcdef", "VERSION=v0.0.0-test"}

// loadCompose loads a compose file the way `docker compose` does, with
// compose-go: interpolation, the compose-spec JSON schema (an unknown key
// fails), normalization and the consistency checks.
func loadCompose(t *testing.T, file string) (*types.Project, error) {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{file}, cli.WithWorkingDirectory(root), cli.WithName("echosenseix"),
		cli.WithEnv(composeEnv), cli.WithResolvedPaths(true), cli.WithConsistency(true))
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(context.Background())
}

// TestComposeUnknownKeyFails proves the loader refuses what the schema does
// not know, so TestCompose's load means something.
func TestComposeUnknownKeyFails(t *testing.T) {
	src := strings.Replace(string(readRepo(t, "docker-compose.yml")), "\n  postgres:\n    image:", "\n  postgres:\n    imagee: typo\n    image:", 1)
	f := filepath.Join(t.TempDir(), "docker-compose.yml")
	if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadCompose(t, f); err == nil || !strings.Contains(err.Error(), "imagee") {
		t.Fatalf("a compose file with the key imagee loaded (err %v); want the schema to refuse it", err)
	}
}

// TestCompose loads docker-compose.yml and checks what `docker compose up`
// would trip over: every bind-mounted file and build context exists, every
// service has a health check, no host port is published twice, the
// instances' settings are server settings, the sysctls and open-file
// limits are the tuning profiles', and Prometheus and Grafana get the
// alert rules and the provisioning.
func TestCompose(t *testing.T) {
	p, err := loadCompose(t, repoPath("docker-compose.yml"))
	if err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	settings := serverSettings(t)
	ports := map[string]string{}
	for name, s := range p.Services {
		if s.HealthCheck == nil || s.HealthCheck.Disable || len(s.HealthCheck.Test) == 0 {
			t.Errorf("service %s has no health check", name)
		}
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			if _, err := os.Stat(v.Source); err != nil && strings.HasPrefix(v.Source, root) {
				t.Errorf("service %s mounts %s, which does not exist", name, v.Source)
			}
		}
		if s.Build != nil {
			df := s.Build.Dockerfile
			if df == "" {
				df = "Dockerfile"
			}
			if !filepath.IsAbs(df) {
				df = filepath.Join(s.Build.Context, df)
			}
			if _, err := os.Stat(df); err != nil {
				t.Errorf("service %s builds from %s, which does not exist", name, df)
			}
		}
		for _, port := range s.Ports {
			if port.Published == "" {
				continue
			}
			key := port.HostIP + ":" + port.Published + "/" + port.Protocol
			if other, dup := ports[key]; dup {
				t.Errorf("host port %s published by %s and %s", key, other, name)
			}
			ports[key] = name
		}
	}

	var apps []string
	for name, s := range p.Services {
		if s.Build == nil || !strings.HasSuffix(s.Build.Dockerfile, "deploy/Dockerfile") {
			continue
		}
		apps = append(apps, name)
		for k := range s.Environment {
			if _, ok := settings[k]; !ok && k != "GOMEMLIMIT" {
				t.Errorf("%s: environment %s is no setting of the server", name, k)
			}
		}
		if v := s.Environment["CLUSTER_ENABLED"]; v == nil || *v != "false" {
			t.Errorf("%s: want CLUSTER_ENABLED=false (compose runs the replicas)", name)
		}
		if v := s.Environment["DATABASE_URL"]; v == nil || !strings.Contains(*v, "@pgbouncer:6432/") || !strings.Contains(*v, "default_query_exec_mode=exec") {
			t.Errorf("%s: DATABASE_URL should go through pgbouncer:6432 with default_query_exec_mode=exec", name)
		}
		checkTuning(t, p, name, "app")
	}
	if len(apps) < 2 {
		t.Fatalf("%d services built from deploy/Dockerfile; want several replicas", len(apps))
	}
	checkTuning(t, p, "nginx", "lb")
	checkTuning(t, p, "redis", "redis")

	// nginx fronts exactly the replicas and starts after they are healthy.
	upstreams := regexp.MustCompile(`(?m)^\s*server\s+([\w.-]+):5000\b`).FindAllStringSubmatch(string(readRepo(t, "deploy/compose-nginx.conf")), -1)
	if len(upstreams) != len(apps) {
		t.Errorf("deploy/compose-nginx.conf has %d upstream servers; want the %d replicas %v", len(upstreams), len(apps), apps)
	}
	nginx := p.Services["nginx"]
	for _, u := range upstreams {
		if _, ok := p.Services[u[1]]; !ok {
			t.Errorf("deploy/compose-nginx.conf names %s, no service", u[1])
		}
		if dep, ok := nginx.DependsOn[u[1]]; !ok || dep.Condition != types.ServiceConditionHealthy {
			t.Errorf("nginx should depend on %s being healthy (it resolves the upstreams at start)", u[1])
		}
	}

	// Prometheus: its configuration scrapes services that exist, and the
	// alert rules are the dashboards' file.
	prom := p.Services["prometheus"]
	mounts := map[string]string{}
	for _, v := range prom.Volumes {
		mounts[v.Target] = v.Source
	}
	if mounts["/etc/prometheus/alerts.yml"] != repoPath("dashboards/alerts.yml") {
		t.Errorf("prometheus mounts %q as alerts.yml; want dashboards/alerts.yml", mounts["/etc/prometheus/alerts.yml"])
	}
	var promCfg struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(readRepo(t, "deploy/prometheus.yml"), &promCfg); err != nil {
		t.Fatal(err)
	}
	if mounts["/etc/prometheus/prometheus.yml"] != repoPath("deploy/prometheus.yml") {
		t.Errorf("prometheus does not mount deploy/prometheus.yml")
	}
	for _, rf := range promCfg.RuleFiles {
		if _, ok := mounts[rf]; !ok {
			t.Errorf("deploy/prometheus.yml loads %s, which the prometheus service does not mount", rf)
		}
	}
	jobs := map[string]bool{}
	for _, sc := range promCfg.ScrapeConfigs {
		jobs[sc.JobName] = true
		for _, st := range sc.StaticConfigs {
			for _, target := range st.Targets {
				host, _, _ := strings.Cut(target, ":")
				if _, ok := p.Services[host]; !ok {
					t.Errorf("deploy/prometheus.yml job %s scrapes %s, no service", sc.JobName, target)
				}
			}
		}
	}
	for _, job := range []string{"echosenseix", "node", "postgres", "redis"} {
		if !jobs[job] {
			t.Errorf("deploy/prometheus.yml has no job %s (the dashboards and alerts select on it)", job)
		}
	}

	// Grafana: the provisioning, and the JSON where the provider looks.
	var provider struct {
		Providers []struct {
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	if err := yaml.Unmarshal(readRepo(t, "dashboards/provisioning/dashboards/echosenseix.yml"), &provider); err != nil || len(provider.Providers) == 0 {
		t.Fatalf("dashboards provider: %v", err)
	}
	gmounts := map[string]string{}
	for _, v := range p.Services["grafana"].Volumes {
		gmounts[v.Target] = v.Source
	}
	if gmounts["/etc/grafana/provisioning"] != repoPath("dashboards/provisioning") {
		t.Errorf("grafana does not mount dashboards/provisioning at /etc/grafana/provisioning")
	}
	if gmounts[provider.Providers[0].Options.Path] != repoPath("dashboards/json") {
		t.Errorf("grafana does not mount dashboards/json at the provider's path %s", provider.Providers[0].Options.Path)
	}
	t.Logf("%d services, %d replicas of the server, %d published ports", len(p.Services), len(apps), len(ports))
}

// containerSysctl reports whether a profile's sysctl is per network
// namespace, so a container can set it (the rest are host-wide).
func containerSysctl(key string) bool {
	return strings.HasPrefix(key, "net.ipv4.") || key == "net.core.somaxconn"
}

// checkTuning compares a service's sysctls and open-file limit with the 10k
// tier's profile of role.
func checkTuning(t *testing.T, p *types.Project, name, role string) {
	t.Helper()
	s, ok := p.Services[name]
	if !ok {
		t.Errorf("no service %s", name)
		return
	}
	prof, err := tuning.Load("10k", role)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range prof.Settings {
		switch {
		case st.Leave || st.Value == "":
		case st.Kind == "sysctl" && containerSysctl(st.Key):
			if got := s.Sysctls[st.Key]; got != st.Value {
				t.Errorf("%s: sysctl %s = %q; the 10k-%s profile says %q", name, st.Key, got, role, st.Value)
			}
		case st.Kind == "limits" && st.Key == "LimitNOFILE":
			want, _ := strconv.Atoi(st.Value)
			u := s.Ulimits["nofile"]
			if u == nil || u.Soft != want || u.Hard != want {
				t.Errorf("%s: ulimit nofile %+v; the 10k-%s profile says %d", name, u, role, want)
			}
		}
	}
}

// composePostgresMaxConnections answers the max_connections the compose
// Postgres runs with.
func composePostgresMaxConnections(t *testing.T) int {
	t.Helper()
	p, err := loadCompose(t, repoPath("docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, arg := range p.Services["postgres"].Command {
		if v, ok := strings.CutPrefix(arg, "max_connections="); ok {
			n, err := strconv.Atoi(v)
			if err == nil {
				return n
			}
		}
	}
	t.Fatal("the compose postgres sets no max_connections")
	return 0
}

// TestComposePrometheusConfig runs `promtool check config` on
// deploy/prometheus.yml, its rule file pointed at dashboards/alerts.yml
// (the file compose mounts there).
func TestComposePrometheusConfig(t *testing.T) {
	promtool := tool(t, "promtool", "prometheus")
	cfg := strings.ReplaceAll(string(readRepo(t, "deploy/prometheus.yml")), "/etc/prometheus/alerts.yml", repoPath("dashboards/alerts.yml"))
	f := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(f, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "config", f).CombinedOutput(); err != nil {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
}
