package deploy

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// root is the repository root: the test runs in deploy/.
var root = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}()

// repoPath answers the absolute path of a repository-relative path.
func repoPath(rel string) string { return filepath.Join(root, filepath.FromSlash(rel)) }

// readRepo reads a repository file or fails t.
func readRepo(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(repoPath(rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
