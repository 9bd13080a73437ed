package deploy

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/echosenseix/echosenseix/integration/harness"
)

var digestPinned = regexp.MustCompile(`^[^@\s]+:[^@\s]+@sha256:[0-9a-f]{64}$`)

// dockerfile parses deploy/Dockerfile with BuildKit's own parser.
func dockerfile(t *testing.T) []instructions.Stage {
	t.Helper()
	ast, err := parser.Parse(bytes.NewReader(readRepo(t, "deploy/Dockerfile")))
	if err != nil {
		t.Fatalf("deploy/Dockerfile: %v", err)
	}
	for _, w := range ast.Warnings {
		t.Errorf("deploy/Dockerfile: %s", w.Short)
	}
	stages, _, err := instructions.Parse(ast.AST, nil)
	if err != nil {
		t.Fatalf("deploy/Dockerfile: %v", err)
	}
	return stages
}

// buildRun answers the build stage's `go build` command line.
func buildRun(t *testing.T, stages []instructions.Stage) string {
	t.Helper()
	for _, st := range stages {
		for _, c := range st.Commands {
			if r, ok := c.(*instructions.RunCommand); ok && strings.Contains(strings.Join(r.CmdLine, " "), "go build") {
				return strings.Join(r.CmdLine, " ")
			}
		}
	}
	t.Fatal("deploy/Dockerfile has no RUN ... go build")
	return ""
}

// TestDockerfile checks the image recipe: more than one stage, every base
// image pinned by digest, a static build stamped with VERSION, a final
// stage that runs as a numeric non-root user and health-checks itself with
// `echosenseix health`.
func TestDockerfile(t *testing.T) {
	stages := dockerfile(t)
	if len(stages) < 2 {
		t.Fatalf("%d stages; want a build stage and a runtime stage", len(stages))
	}
	for _, st := range stages {
		if !digestPinned.MatchString(st.BaseName) {
			t.Errorf("FROM %s: want image:tag@sha256:<digest>", st.BaseName)
		}
	}
	run := buildRun(t, stages)
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X main.version=${VERSION}"} {
		if !strings.Contains(run, want) {
			t.Errorf("RUN %s: lacks %s", run, want)
		}
	}
	final := stages[len(stages)-1]
	var user string
	var health []string
	var entry []string
	for _, c := range final.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.HealthCheckCommand:
			health = c.Health.Test
		case *instructions.EntrypointCommand:
			entry = c.CmdLine
		}
	}
	uid, _, _ := strings.Cut(user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("final USER %q: want a numeric non-root uid (Kubernetes runAsNonRoot can verify only a number)", user)
	}
	if len(entry) != 1 {
		t.Fatalf("ENTRYPOINT %q: want the binary alone", entry)
	}
	if want := []string{"CMD", entry[0], "health"}; !slices.Equal(health, want) {
		t.Errorf("HEALTHCHECK %q; want %q", health, want)
	}
}

// TestDockerfileBuildStampsVersion runs the Dockerfile's own go build line
// here: the binary must be static (no interpreter, no shared library) and
// report the stamped version in /health, not "dev"; its health subcommand
// (the HEALTHCHECK) must pass against it.
func TestDockerfileBuildStampsVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	const version = "v0.0.0-dockerfile-test"
	run := buildRun(t, dockerfile(t))
	bin := filepath.Join(t.TempDir(), "echosenseix")
	line := strings.NewReplacer("${VERSION}", version, "/out/echosenseix", bin).Replace(run)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", line)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", line, err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	libs, _ := f.ImportedLibraries()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the binary has an ELF interpreter: not static")
		}
	}
	f.Close()
	if len(libs) > 0 {
		t.Errorf("the binary links %v: not static", libs)
	}
	port := strconv.Itoa(harness.FreePort(t))
	srv := exec.Command(bin, "serve")
	srv.Env = []string{"PATH=" + os.Getenv("PATH"), "PORT=" + port, "HOST=127.0.0.1", "CLUSTER_ENABLED=false", "LOG_LEVEL=warn"}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	health := exec.Command(bin, "health")
	health.Env = srv.Env
	var ok bool
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if health.Run() == nil {
			ok = true
			break
		}
		health = exec.Command(bin, "health")
		health.Env = srv.Env
	}
	if !ok {
		t.Fatal("echosenseix health never passed against the freshly built server")
	}
	var h struct{ Version string }
	if err := json.Unmarshal(get(t, "http://127.0.0.1:"+port+"/health"), &h); err != nil {
		t.Fatal(err)
	}
	if h.Version != version {
		t.Errorf("/health version = %q; want %q (stamped by the Dockerfile's -ldflags)", h.Version, version)
	}
}

// TestDockerignore proves the build context leaves out history, build
// products and run results, and keeps every file the build reads.
func TestDockerignore(t *testing.T) {
	patterns, err := ignorefile.ReadAll(bytes.NewReader(readRepo(t, ".dockerignore")))
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	excluded := func(rel string) bool {
		m, err := pm.MatchesOrParentMatches(rel)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, rel := range []string{".git/HEAD", "bin/echosenseix", "bench/results/x/table.md", "loadtests/reports/smoke-1/results.json",
		"loadtests/results/README.md", "loadtests/k6/node_modules/typescript/package.json", "server/httpapi/httpapi.test", "cpu.prof", "seed.json"} {
		if !excluded(rel) {
			t.Errorf(".dockerignore keeps %s in the build context", rel)
		}
	}
	// Every file the server's build reads: go.mod, go.sum, and the Go and
	// embedded files of each package of this module it compiles.
	list := exec.Command("go", "list", "-deps", "-f", `{{if .Module}}{{if .Module.Main}}{{.Dir}}{{range .GoFiles}} {{.}}{{end}}{{range .EmbedFiles}} {{.}}{{end}}{{end}}{{end}}`, "./server/cmd/echosenseix")
	list.Dir = root
	out, err := list.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	need := []string{"go.mod", "go.sum"}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		dir, err := filepath.Rel(root, fields[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fields[1:] {
			need = append(need, filepath.ToSlash(filepath.Join(dir, f)))
		}
	}
	if len(need) < 20 {
		t.Fatalf("go list named only %d files", len(need))
	}
	for _, rel := range need {
		if excluded(rel) {
			t.Errorf(".dockerignore drops %s, which the build reads", rel)
		}
	}
	t.Logf("%d files the build reads are in the context", len(need))
}
