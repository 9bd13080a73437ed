package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// TestCheckFlagsBuildProducts proves each rule on its own file: the real ELF
// of this test binary, Mach-O and PE headers, an executable bit without #!,
// a file over the limit, and the files that must pass (sources, scripts, a
// text file that merely starts with "MZ").
func TestCheckFlagsBuildProducts(t *testing.T) {
	elf := readHead(t, os.Args[0])
	pe := make([]byte, 0x80)
	copy(pe, "MZ")
	pe[0x3c] = 0x40
	copy(pe[0x40:], "PE\x00\x00")
	fsys := fstest.MapFS{
		"server/cmd/echosenseix/echosenseix": {Data: elf},
		"macho":                              {Data: []byte{0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1}},
		"tool.exe":                           {Data: pe},
		"notes.txt":                          {Data: []byte("MZ is a text that looks like a DOS header")},
		"main.go":                            {Data: []byte("package main\n")},
		"run.sh":                             {Data: []byte("#!/usr/bin/env bash\necho hi\n")},
		"data.bin":                           {Data: []byte("no shebang\n")},
		"big.json":                           {Data: make([]byte, 2049)},
		"limit.json":                         {Data: make([]byte, 2048)},
	}
	tests := []struct {
		file trackedFile
		want string // substring of the problem; "" = no problem
	}{
		{trackedFile{"server/cmd/echosenseix/echosenseix", true}, "ELF executable"},
		{trackedFile{"macho", false}, "Mach-O executable"},
		{trackedFile{"tool.exe", false}, "PE executable"},
		{trackedFile{"notes.txt", false}, ""},
		{trackedFile{"main.go", false}, ""},
		{trackedFile{"run.sh", true}, ""},
		{trackedFile{"data.bin", true}, "executable bit on a file that is not a script"},
		{trackedFile{"big.json", false}, "2049 bytes, over the 2048-byte limit"},
		{trackedFile{"limit.json", false}, ""},
		{trackedFile{"deleted-in-worktree.go", false}, ""},
	}
	for _, tt := range tests {
		got, err := check(fsys, []trackedFile{tt.file}, 2048)
		if err != nil {
			t.Fatalf("check(%s): %v", tt.file.Path, err)
		}
		switch {
		case tt.want == "" && len(got) != 0:
			t.Errorf("check(%s) = %q; want no problem", tt.file.Path, got)
		case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)):
			t.Errorf("check(%s) = %q; want one problem containing %q", tt.file.Path, got, tt.want)
		}
	}
}

// TestTrackedFilesReadsGitModes runs against a real git repository: the
// executable bit comes from the index, untracked and ignored files are not
// listed, and a committed binary is reported end to end.
func TestTrackedFilesReadsGitModes(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git is needed: %v", err)
	}
	dir := t.TempDir()
	write := func(name string, data []byte, mode os.FileMode) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
	}
	write("cmd/app/app", readHead(t, os.Args[0]), 0o755)
	write("cmd/app/main.go", []byte("package main\n"), 0o644)
	write("run.sh", []byte("#!/bin/sh\n"), 0o755)
	write("untracked.bin", readHead(t, os.Args[0]), 0o755)
	git(t, dir, "init", "-q")
	git(t, dir, "add", "cmd/app/app", "cmd/app/main.go", "run.sh")

	files, err := trackedFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"cmd/app/app": true, "cmd/app/main.go": false, "run.sh": true}
	if len(files) != len(want) {
		t.Fatalf("trackedFiles = %v; want %d files %v", files, len(want), want)
	}
	for _, f := range files {
		if exe, ok := want[f.Path]; !ok || exe != f.Executable {
			t.Errorf("trackedFiles has %+v; want executable=%v for a tracked path", f, exe)
		}
	}
	problems, err := check(os.DirFS(dir), files, defaultMaxBytes)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || !strings.HasPrefix(problems[0], "cmd/app/app: ELF") {
		t.Errorf("check = %q; want exactly the committed binary cmd/app/app", problems)
	}
}

// TestParseLsFilesRejectsGarbage keeps a changed git output format from
// passing silently.
func TestParseLsFilesRejectsGarbage(t *testing.T) {
	if _, err := parseLsFiles([]byte("not a record\x00")); err == nil {
		t.Error("parseLsFiles(garbage) = nil error; want an error")
	}
	got, err := parseLsFiles([]byte("120000 abc 0\tlink\x00160000 def 0\tsub\x00100644 012 0\ta b.go\x00"))
	if err != nil || len(got) != 1 || got[0].Path != "a b.go" {
		t.Errorf("parseLsFiles = %v, %v; want only the regular file \"a b.go\"", got, err)
	}
}

func readHead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("cannot read %s: %v", path, err)
	}
	return b[:1024]
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}
