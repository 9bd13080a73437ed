package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// defaultMaxBytes is the largest file the repository keeps (1 MiB).
const defaultMaxBytes = 1 << 20

// magics are the first bytes of executable formats. PE ("MZ") is confirmed
// by its "PE\0\0" header separately, since text may start with "MZ".
var magics = []struct {
	name  string
	magic []byte
}{
	{"ELF executable", []byte{0x7f, 'E', 'L', 'F'}},
	{"Mach-O executable", []byte{0xfe, 0xed, 0xfa, 0xce}},
	{"Mach-O executable", []byte{0xfe, 0xed, 0xfa, 0xcf}},
	{"Mach-O executable", []byte{0xce, 0xfa, 0xed, 0xfe}},
	{"Mach-O executable", []byte{0xcf, 0xfa, 0xed, 0xfe}},
	{"Mach-O universal executable", []byte{0xca, 0xfe, 0xba, 0xbe}},
}

// check returns one line per tracked file that must not be tracked.
func check(fsys fs.FS, files []trackedFile, maxBytes int64) ([]string, error) {
	var problems []string
	for _, f := range files {
		p, err := checkFile(fsys, f, maxBytes)
		if err != nil {
			return nil, err
		}
		problems = append(problems, p...)
	}
	return problems, nil
}

// checkFile inspects one file's size, first bytes and executable bit.
// A file in the index but deleted from the work tree is skipped.
func checkFile(fsys fs.FS, f trackedFile, maxBytes int64) ([]string, error) {
	file, err := fsys.Open(f.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("cannot open %s: %w", f.Path, err)
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot stat %s: %w", f.Path, err)
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(file, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, fmt.Errorf("cannot read %s: %w", f.Path, err)
	}
	head = head[:n]
	var problems []string
	if info.Size() > maxBytes {
		problems = append(problems, fmt.Sprintf("%s: %d bytes, over the %d-byte limit", f.Path, info.Size(), maxBytes))
	}
	if kind := executableKind(head); kind != "" {
		problems = append(problems, fmt.Sprintf("%s: %s (a build product)", f.Path, kind))
	} else if f.Executable && !bytes.HasPrefix(head, []byte("#!")) {
		problems = append(problems, fmt.Sprintf("%s: executable bit on a file that is not a script (no #! line)", f.Path))
	}
	return problems, nil
}

// executableKind names the executable format head starts with, or "".
func executableKind(head []byte) string {
	for _, m := range magics {
		if bytes.HasPrefix(head, m.magic) {
			return m.name
		}
	}
	if isPE(head) {
		return "PE executable"
	}
	return ""
}

// isPE reports a DOS header whose e_lfanew points at a "PE\0\0" signature
// within the bytes read.
func isPE(head []byte) bool {
	if len(head) < 0x40 || head[0] != 'M' || head[1] != 'Z' {
		return false
	}
	off := int(head[0x3c]) | int(head[0x3d])<<8
	return off+4 <= len(head) && bytes.Equal(head[off:off+4], []byte("PE\x00\x00"))
}
