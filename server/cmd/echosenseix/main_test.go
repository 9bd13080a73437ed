package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestHelpListsCommands proves that every spelling of help prints the command
// list on stdout and exits 0 (-h used to fall through to serve's flag parser
// and exit 2).
func TestHelpListsCommands(t *testing.T) {
	for _, arg := range []string{"help", "-h", "-help", "--help"} {
		t.Run(arg, func(t *testing.T) {
			var out bytes.Buffer
			old := stdout
			stdout = &out
			defer func() { stdout = old }()
			if got := run([]string{arg}); got != 0 {
				t.Fatalf("run(%q) = %d; want 0", arg, got)
			}
			for _, cmd := range []string{"serve", "migrate", "seed", "health", "version", "config-table", "help"} {
				if !strings.Contains(out.String(), "\n  "+cmd+" ") {
					t.Errorf("run(%q) output lacks command %q:\n%s", arg, cmd, out.String())
				}
			}
		})
	}
}

// TestUnknownCommandExits2 keeps a typo from starting the server.
func TestUnknownCommandExits2(t *testing.T) {
	if got := run([]string{"sreve"}); got != 2 {
		t.Fatalf("run(sreve) = %d; want 2", got)
	}
}
