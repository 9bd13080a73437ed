package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
)

// trackedFile is one entry of the index: its path and whether git records
// it with the executable bit (mode 100755).
type trackedFile struct {
	Path       string
	Executable bool
}

// trackedFiles lists the files of the index of the repository at dir.
// Symbolic links and submodules are left out: they carry no content here.
func trackedFiles(dir string) ([]trackedFile, error) {
	cmd := exec.Command("git", "ls-files", "-s", "-z")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("cannot list tracked files: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return parseLsFiles(out)
}

// parseLsFiles reads `git ls-files -s -z`: "<mode> <object> <stage>\t<path>\x00".
func parseLsFiles(out []byte) ([]trackedFile, error) {
	var files []trackedFile
	for _, rec := range bytes.Split(out, []byte{0}) {
		if len(rec) == 0 {
			continue
		}
		meta, path, ok := bytes.Cut(rec, []byte{'\t'})
		mode, _, _ := bytes.Cut(meta, []byte{' '})
		if !ok || len(mode) != 6 {
			return nil, fmt.Errorf("cannot parse git ls-files record %q", rec)
		}
		switch string(mode) {
		case "100644", "100755":
			files = append(files, trackedFile{Path: string(path), Executable: string(mode) == "100755"})
		}
	}
	return files, nil
}

// repoRoot is the top of the work tree around the working directory.
func repoRoot() (string, error) {
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return "", fmt.Errorf("cannot find the repository root: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}
