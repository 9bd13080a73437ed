package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/echosenseix/echosenseix/internal/stack"
)

// tool answers the path of a command from a Debian package, looking in
// /usr/sbin as well (nginx, haproxy and pgbouncer live there and a
// non-login PATH may lack it), else is stack.Unavailable.
func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if p := filepath.Join("/usr/sbin", name); isExec(p) {
		return p
	}
	return stack.Tool(t, name, pkg)
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}
