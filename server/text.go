package server

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// Postgres refuses a NUL byte in text (SQLSTATE 22021), invalid UTF-8
// (22021), and, inside jsonb, the escape \u0000 (22P05) or a UTF-16
// surrogate escape that is not part of a pair (22P02). The checks below let
// Validate refuse such input up front, so a bad row never reaches a store
// (nor a group-commit batch shared with other tenants' rows).

// StorableText reports whether s is valid UTF-8 without a NUL byte.
func StorableText(s string) bool {
	return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s)
}

// StorableJSON reports whether b, already known to be valid JSON, is valid
// UTF-8 without a NUL byte, without the escape \u0000 and without a lone
// surrogate escape: what a Postgres jsonb column accepts.
func StorableJSON(b []byte) bool {
	if bytes.IndexByte(b, 0) >= 0 || !utf8.Valid(b) {
		return false
	}
	for i := bytes.IndexByte(b, '\\'); i >= 0; {
		// In valid JSON a backslash only starts an escape inside a string.
		if i+1 >= len(b) {
			return false
		}
		next := i + 2
		if b[i+1] == 'u' {
			v, ok := hex4(b, i+2)
			switch {
			case !ok, v == 0, v >= 0xdc00 && v <= 0xdfff:
				return false
			case v >= 0xd800 && v <= 0xdbff:
				lo, ok := hex4(b, i+8)
				if !ok || b[i+6] != '\\' || b[i+7] != 'u' || lo < 0xdc00 || lo > 0xdfff {
					return false
				}
				next = i + 12
			default:
				next = i + 6
			}
		}
		j := bytes.IndexByte(b[next:], '\\')
		if j < 0 {
			break
		}
		i = next + j
	}
	return true
}

// hex4 reads the 4 hexadecimal digits at b[i:i+4].
func hex4(b []byte, i int) (rune, bool) {
	if i < 0 || i+4 > len(b) {
		return 0, false
	}
	var v rune
	for _, c := range b[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			v = v<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			v = v<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			v = v<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// textField names a text field for checkText.
type textField struct {
	name, value string
}

// checkText answers EINVALID naming the first field that is not storable
// text.
func checkText(fields ...textField) error {
	for _, f := range fields {
		if !StorableText(f.value) {
			return Errorf(EINVALID, "%s must be UTF-8 text without NUL (0x00) characters", f.name)
		}
	}
	return nil
}
