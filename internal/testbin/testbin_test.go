package testbin

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuildOnceAndRemove(t *testing.T) {
	dir := t.TempDir()
	src := "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Print(\"hi\") }\n"
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/hello\n\ngo 1.21\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	b := New(".", "")
	p1 := b.Path(t)
	p2 := b.Path(t)
	if p1 != p2 || filepath.Base(p1) != filepath.Base(dir) {
		t.Fatalf("Path = %q then %q; want one build named %q", p1, p2, filepath.Base(dir))
	}
	if out, err := exec.Command(p1).Output(); err != nil || string(out) != "hi" {
		t.Fatalf("built binary said %q, %v; want hi", out, err)
	}
	b.Remove()
	if _, err := os.Stat(p1); !os.IsNotExist(err) {
		t.Fatalf("after Remove, stat %s: %v; want not exist", p1, err)
	}
}

func TestEnvOverride(t *testing.T) {
	t.Setenv("TESTBIN_X", "/nonexistent/bin")
	if _, err := New("./nope", "TESTBIN_X").Build(); err == nil || !strings.Contains(err.Error(), "TESTBIN_X") {
		t.Fatalf("Build with a missing $TESTBIN_X: %v; want an error naming it", err)
	}
	self, _ := os.Executable()
	t.Setenv("TESTBIN_X", self)
	if p, err := New("./nope", "TESTBIN_X").Build(); err != nil || p != self {
		t.Fatalf("Build = %q, %v; want %q", p, err, self)
	}
}

func TestBuildFailureNamesPackage(t *testing.T) {
	if _, err := New("./does-not-exist", "").Build(); err == nil || !strings.Contains(err.Error(), "cannot build ./does-not-exist") {
		t.Fatalf("Build = %v; want cannot build ./does-not-exist", err)
	}
}
