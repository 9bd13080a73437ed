package deploy

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"

	"github.com/echosenseix/echosenseix/integration/harness"
)

// manifests holds every object of deploy/k8s, strict-decoded.
type manifests struct {
	Deployments map[string]*appsv1.Deployment
	Services    map[string]*corev1.Service
	ConfigMaps  map[string]*corev1.ConfigMap
	HPAs        map[string]*autoscalingv2.HorizontalPodAutoscaler
	PDBs        map[string]*policyv1.PodDisruptionBudget
	objects     int
}

// loadManifests strict-decodes every document of every deploy/k8s/*.yaml
// into its k8s.io/api type: an unknown kind, an unknown field or a value of
// the wrong type fails.
func loadManifests(t *testing.T) *manifests {
	t.Helper()
	files, err := filepath.Glob(repoPath("deploy/k8s/*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no deploy/k8s/*.yaml: %v", err)
	}
	m := &manifests{Deployments: map[string]*appsv1.Deployment{}, Services: map[string]*corev1.Service{},
		ConfigMaps: map[string]*corev1.ConfigMap{}, HPAs: map[string]*autoscalingv2.HorizontalPodAutoscaler{},
		PDBs: map[string]*policyv1.PodDisruptionBudget{}}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for k, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(raw), -1) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			where := fmt.Sprintf("%s document %d", filepath.Base(f), k+1)
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			var obj any
			switch tm.APIVersion + " " + tm.Kind {
			case "apps/v1 Deployment":
				obj = &appsv1.Deployment{}
			case "v1 Service":
				obj = &corev1.Service{}
			case "v1 ConfigMap":
				obj = &corev1.ConfigMap{}
			case "autoscaling/v2 HorizontalPodAutoscaler":
				obj = &autoscalingv2.HorizontalPodAutoscaler{}
			case "policy/v1 PodDisruptionBudget":
				obj = &policyv1.PodDisruptionBudget{}
			default:
				t.Fatalf("%s: kind %q of %q is not one this test knows", where, tm.Kind, tm.APIVersion)
			}
			if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
				t.Fatalf("%s (%s): %v", where, tm.Kind, err)
			}
			m.objects++
			switch o := obj.(type) {
			case *appsv1.Deployment:
				m.Deployments[o.Name] = o
			case *corev1.Service:
				m.Services[o.Name] = o
			case *corev1.ConfigMap:
				m.ConfigMaps[o.Name] = o
			case *autoscalingv2.HorizontalPodAutoscaler:
				m.HPAs[o.Name] = o
			case *policyv1.PodDisruptionBudget:
				m.PDBs[o.Name] = o
			}
		}
	}
	return m
}

func stripComments(doc string) string {
	var b strings.Builder
	for line := range strings.Lines(doc) {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// TestK8sManifestsStrictDecode: every manifest decodes with no unknown
// field; what the server needs is there.
func TestK8sManifestsStrictDecode(t *testing.T) {
	m := loadManifests(t)
	for _, name := range []string{"echosenseix", "redis", "pgbouncer"} {
		if m.Deployments[name] == nil || m.Services[name] == nil {
			t.Errorf("deploy/k8s lacks the Deployment and Service %q", name)
		}
	}
	if m.HPAs["echosenseix"] == nil || m.PDBs["echosenseix"] == nil || m.ConfigMaps["echosenseix"] == nil || m.ConfigMaps["pgbouncer"] == nil {
		t.Fatalf("deploy/k8s lacks the echosenseix HPA, PDB or ConfigMap, or the pgbouncer ConfigMap")
	}
	t.Logf("%d objects strict-decoded", m.objects)
}

// TestK8sPodSecurityRestricted evaluates every pod template with the Pod
// Security admission's own checks at level restricted, latest version.
func TestK8sPodSecurityRestricted(t *testing.T) {
	m := loadManifests(t)
	ev, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	lv := psapi.LevelVersion{Level: psapi.LevelRestricted, Version: psapi.LatestVersion()}
	for name, d := range m.Deployments {
		res := policy.AggregateCheckResults(ev.EvaluatePod(lv, &d.Spec.Template.ObjectMeta, &d.Spec.Template.Spec))
		if !res.Allowed {
			t.Errorf("Deployment %s violates Pod Security restricted: %s", name, res.ForbiddenDetail())
		}
		for _, c := range d.Spec.Template.Spec.Containers {
			sc := c.SecurityContext
			if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
				t.Errorf("%s/%s: want readOnlyRootFilesystem: true", name, c.Name)
			}
			if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
				t.Errorf("%s/%s: want cpu and memory requests and a memory limit", name, c.Name)
			}
			if ref := c.Image; strings.HasSuffix(ref, ":latest") || !regexp.MustCompile(`:[\w][\w.-]*$|@sha256:[0-9a-f]{64}$`).MatchString(ref) {
				t.Errorf("%s/%s: image %q: want a version tag or digest, never latest", name, c.Name, ref)
			}
		}
	}
}

// TestK8sServerDeployment checks the server's pod against the server: the
// probe and scrape paths answer on a real instance, the preStop sleep
// equals the server's drain delay, the grace period covers sleep, drain
// and CLUSTER_SHUTDOWN_TIMEOUT, every ConfigMap key is a server setting,
// GOMEMLIMIT sits under the memory limit, no replicas field fights the HPA,
// and the connection arithmetic fits PgBouncer and Postgres.
func TestK8sServerDeployment(t *testing.T) {
	m := loadManifests(t)
	settings := serverSettings(t)
	d := m.Deployments["echosenseix"]
	cm := m.ConfigMaps["echosenseix"]
	hpa := m.HPAs["echosenseix"]
	if d == nil || cm == nil || hpa == nil {
		t.Fatal("deploy/k8s lacks the echosenseix Deployment, ConfigMap or HPA")
	}
	if d.Spec.Replicas != nil {
		t.Errorf("Deployment sets replicas: %d beside the HPA; each apply would reset the HPA's count", *d.Spec.Replicas)
	}
	if ref := hpa.Spec.ScaleTargetRef; ref.Kind != "Deployment" || ref.Name != d.Name {
		t.Errorf("HPA scales %s/%s; want Deployment/%s", ref.Kind, ref.Name, d.Name)
	}
	pod := d.Spec.Template
	if !selects(d.Spec.Selector, pod.Labels) {
		t.Errorf("Deployment selector %v does not select its pods %v", d.Spec.Selector.MatchLabels, pod.Labels)
	}
	if pdb := m.PDBs["echosenseix"]; pdb == nil || !selects(pdb.Spec.Selector, pod.Labels) {
		t.Errorf("no PodDisruptionBudget selects the server pods")
	}
	if svc := m.Services["echosenseix"]; svc == nil || !selectsMap(svc.Spec.Selector, pod.Labels) {
		t.Errorf("Service echosenseix does not select the server pods")
	}

	// Configuration: every key a server setting (or the Go runtime's), the
	// guide's scaling by pods.
	for k := range cm.Data {
		if _, ok := settings[k]; !ok && k != "GOMEMLIMIT" {
			t.Errorf("ConfigMap key %s is no setting of the server", k)
		}
	}
	if cm.Data["CLUSTER_ENABLED"] != "false" {
		t.Errorf("ConfigMap CLUSTER_ENABLED = %q; want false (Kubernetes scales pods)", cm.Data["CLUSTER_ENABLED"])
	}
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%d containers; want the server alone", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	env := map[string]string{}
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef != nil && ef.ConfigMapRef.Name == cm.Name {
			for k, v := range cm.Data {
				env[k] = v
			}
		}
	}
	for _, e := range c.Env {
		env[e.Name] = e.Value
		if _, ok := settings[e.Name]; !ok {
			t.Errorf("env %s is no setting of the server", e.Name)
		}
	}
	if svc, ok := env["REDIS_HOST"]; !ok || m.Services[svc] == nil {
		t.Errorf("REDIS_HOST=%q names no Service of deploy/k8s", svc)
	}
	limit := c.Resources.Limits.Memory().Value()
	gml, err := parseGoMemLimit(env["GOMEMLIMIT"])
	if err != nil {
		t.Errorf("GOMEMLIMIT: %v", err)
	} else if r := float64(gml) / float64(limit); r < 0.8 || r > 0.95 {
		t.Errorf("GOMEMLIMIT %s is %.0f %% of the memory limit %s; want 80-95 %%", env["GOMEMLIMIT"], 100*r, c.Resources.Limits.Memory())
	}

	// Shutdown: preStop sleep = drain delay; grace > sleep + drain + timeout.
	drain := drainDelay(t, settings)
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		t.Fatal("the server container has no preStop sleep")
	}
	sleep := time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	if sleep != drain {
		t.Errorf("preStop sleep %s; want the server's drain delay %s (%s)", sleep, drain, drainDelayVar)
	}
	timeoutVal, ok := env["CLUSTER_SHUTDOWN_TIMEOUT"]
	if !ok {
		timeoutVal = settings["CLUSTER_SHUTDOWN_TIMEOUT"].Default
	}
	timeout := durationOf(t, "CLUSTER_SHUTDOWN_TIMEOUT", settings["CLUSTER_SHUTDOWN_TIMEOUT"], timeoutVal)
	if pod.Spec.TerminationGracePeriodSeconds == nil {
		t.Fatal("no terminationGracePeriodSeconds")
	}
	grace := time.Duration(*pod.Spec.TerminationGracePeriodSeconds) * time.Second
	if grace <= sleep+drain+timeout {
		t.Errorf("terminationGracePeriodSeconds %s; want more than preStop %s + drain %s + CLUSTER_SHUTDOWN_TIMEOUT %s", grace, sleep, drain, timeout)
	}

	// Probes and scrape: paths the server answers, on the container's port.
	port := c.Ports[0]
	if want := strconv.Itoa(int(port.ContainerPort)); env["PORT"] != want || pod.Annotations["prometheus.io/port"] != want {
		t.Errorf("PORT=%q, prometheus.io/port=%q; want both %s (the container port)", env["PORT"], pod.Annotations["prometheus.io/port"], want)
	}
	if pod.Annotations["prometheus.io/scrape"] != "true" {
		t.Errorf("pod annotation prometheus.io/scrape = %q; want true", pod.Annotations["prometheus.io/scrape"])
	}
	paths := map[string]string{"prometheus.io/path": pod.Annotations["prometheus.io/path"]}
	for name, p := range map[string]*corev1.Probe{"startupProbe": c.StartupProbe, "livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s: want an httpGet probe", name)
			continue
		}
		if p.HTTPGet.Port.String() != port.Name && p.HTTPGet.Port.IntValue() != int(port.ContainerPort) {
			t.Errorf("%s probes port %s; want the container port %s", name, p.HTTPGet.Port.String(), port.Name)
		}
		paths[name] = p.HTTPGet.Path
	}
	for name, want := range map[string]string{"startupProbe": "/health/live", "livenessProbe": "/health/live", "readinessProbe": "/health/ready"} {
		if paths[name] != want {
			t.Errorf("%s path %q; want %s", name, paths[name], want)
		}
	}
	inst := harness.StartInstance(t, nil)
	for name, p := range paths {
		resp, err := http.Get(inst.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s path %s answers %d on the server; want 200", name, p, resp.StatusCode)
		}
	}

	// Connections: every pod at the HPA maximum fits PgBouncer's clients, and
	// PgBouncer's server pools fit Postgres.
	ini := string(readRepo(t, "deploy/pgbouncer/pgbouncer.ini"))
	maxConns, _ := strconv.Atoi(env["DATABASE_MAX_CONNECTIONS"])
	if maxConns == 0 {
		t.Fatalf("ConfigMap sets no DATABASE_MAX_CONNECTIONS")
	}
	clients := int(hpa.Spec.MaxReplicas) * maxConns
	if mc := iniInt(t, ini, "max_client_conn"); clients > mc {
		t.Errorf("HPA maximum %d x DATABASE_MAX_CONNECTIONS %d = %d clients; PgBouncer's max_client_conn is %d", hpa.Spec.MaxReplicas, maxConns, clients, mc)
	}
	pgb := m.Deployments["pgbouncer"]
	if pgb == nil || pgb.Spec.Replicas == nil {
		t.Fatal("the pgbouncer Deployment sets no replicas")
	}
	backends := int(*pgb.Spec.Replicas) * (iniInt(t, ini, "default_pool_size") + iniInt(t, ini, "reserve_pool_size"))
	if pgMax := composePostgresMaxConnections(t); backends >= pgMax {
		t.Errorf("%d PgBouncer replicas x (default_pool_size + reserve_pool_size) = %d backends; Postgres max_connections is %d", *pgb.Spec.Replicas, backends, pgMax)
	}
	t.Logf("%d clients at the HPA maximum over at most %d Postgres backends; preStop %s, drain %s, grace %s", clients, backends, sleep, drain, grace)
}

func selects(sel *metav1.LabelSelector, labels map[string]string) bool {
	return sel != nil && len(sel.MatchExpressions) == 0 && selectsMap(sel.MatchLabels, labels)
}

func selectsMap(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// parseGoMemLimit parses GOMEMLIMIT's syntax: bytes with an optional B,
// KiB, MiB, GiB or TiB suffix.
func parseGoMemLimit(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseInt(n, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%q: %v", s, err)
			}
			return v * u.mult, nil
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q: want bytes with B, KiB, MiB, GiB or TiB", s)
	}
	return v, nil
}

// iniInt answers the integer value of key in pgbouncer.ini.
func iniInt(t *testing.T, ini, key string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `\s*=\s*(\d+)\s*$`).FindStringSubmatch(ini)
	if m == nil {
		t.Fatalf("pgbouncer.ini has no integer %s", key)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
