// Command repocheck fails when the repository tracks a build product or a
// large file: an executable (ELF, Mach-O or PE magic), a file with the
// executable bit that is not a script (no "#!" line), or a file over 1 MiB.
// `make lint` runs it; it reads `git ls-files` of the repository around the
// working directory.
//
//	go run ./tools/repocheck [-max-bytes N]
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	maxBytes := flag.Int64("max-bytes", defaultMaxBytes, "largest tracked file allowed, in bytes")
	flag.Parse()
	root, err := repoRoot()
	if err != nil {
		fmt.Fprintf(os.Stderr, "repocheck: %v\n", err)
		os.Exit(2)
	}
	files, err := trackedFiles(root)
	if err != nil {
		fmt.Fprintf(os.Stderr, "repocheck: %v\n", err)
		os.Exit(2)
	}
	problems, err := check(os.DirFS(root), files, *maxBytes)
	if err != nil {
		fmt.Fprintf(os.Stderr, "repocheck: %v\n", err)
		os.Exit(2)
	}
	for _, p := range problems {
		fmt.Fprintf(os.Stderr, "repocheck: %s\n", p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(os.Stderr, "repocheck: %d tracked file(s) must not be in the repository: untrack them (git rm --cached) and ignore them\n", len(problems))
		os.Exit(1)
	}
}
