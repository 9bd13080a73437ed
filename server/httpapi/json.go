package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/bytedance/sonic"

	"github.com/echosenseix/echosenseix/server"
)

var (
	// jsonAPI encodes responses (sonic, no HTML escaping, map keys unsorted).
	jsonAPI = sonic.ConfigDefault
	// strictAPI decodes request bodies that reject unknown fields.
	strictAPI = sonic.Config{DisallowUnknownFields: true, ValidateString: true}.Froze()
	// looseAPI decodes bodies whose extra fields are ignored (webhooks).
	looseAPI = sonic.Config{ValidateString: true}.Froze()
)

// decodeJSON decodes body into v with sonic: strict rejects unknown fields.
// Errors are EINVALID naming the field, found by re-decoding with
// encoding/json on the (rare) error path, since sonic's errors carry offsets
// only. Bodies nested deeper than maxDepth are refused first.
func decodeJSON(body []byte, v any, strict bool, maxDepth int) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return server.Errorf(server.EINVALID, "request body is empty; want a JSON object")
	}
	if depthExceeds(body, maxDepth) {
		return server.Errorf(server.EINVALID, "JSON is nested deeper than %d levels", maxDepth)
	}
	api := looseAPI
	if strict {
		api = strictAPI
	}
	if err := api.Unmarshal(body, v); err != nil {
		return describeJSONError(body, v, strict, err)
	}
	return nil
}

func describeJSONError(body []byte, v any, strict bool, sonicErr error) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if strict {
		dec.DisallowUnknownFields()
	}
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("trailing data after the JSON value")
	}
	var typeErr *json.UnmarshalTypeError
	var synErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return server.Errorf(server.EINVALID, "field %q: got JSON %s; want %s", typeErr.Field, typeErr.Value, jsonKind(typeErr.Type.String()))
	case errors.As(err, &typeErr):
		return server.Errorf(server.EINVALID, "got JSON %s; want an object", typeErr.Value)
	case errors.As(err, &synErr):
		return server.Errorf(server.EINVALID, "malformed JSON at byte %d: %v", synErr.Offset, synErr)
	case err != nil && strings.HasPrefix(err.Error(), "json: unknown field "):
		return server.Errorf(server.EINVALID, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	case err != nil:
		return server.Errorf(server.EINVALID, "malformed JSON: %v", err)
	}
	return server.WrapError(server.EINVALID, "malformed JSON", sonicErr)
}

// jsonKind names a Go type as the JSON kind a client should send.
func jsonKind(goType string) string {
	switch {
	case goType == "string", goType == "*string":
		return "string"
	case strings.Contains(goType, "int"), strings.Contains(goType, "float"):
		return "number"
	case strings.Contains(goType, "bool"):
		return "boolean"
	case strings.HasPrefix(goType, "[]"), strings.HasPrefix(goType, "*[]"):
		return "array"
	}
	return "object"
}

// depthExceeds reports whether JSON b nests objects/arrays deeper than max.
// Strings are skipped (brackets inside them do not count): a string's end
// is found with bytes.IndexByte, so the text of a transcript costs a
// vectorised search rather than a branch per byte.
func depthExceeds(b []byte, max int) bool {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			end := stringEnd(b, i+1)
			if end < 0 {
				return false // unterminated: the decoder reports it
			}
			i = end
		case '{', '[':
			depth++
			if depth > max {
				return true
			}
		case '}', ']':
			depth--
		}
	}
	return false
}

// stringEnd answers the index of the quote closing the JSON string whose
// content starts at b[from], or -1: a quote preceded by an odd run of
// backslashes is escaped.
func stringEnd(b []byte, from int) int {
	for from < len(b) {
		j := bytes.IndexByte(b[from:], '"')
		if j < 0 {
			return -1
		}
		q := from + j
		n := 0
		for k := q - 1; k >= from && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return q
		}
		from = q + 1
	}
	return -1
}

// required answers EINVALID naming the first empty field: pairs of name, value.
func required(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.TrimSpace(pairs[i+1]) == "" {
			return server.Errorf(server.EINVALID, "field %q is required", pairs[i])
		}
	}
	return nil
}

func invalidf(format string, args ...any) error {
	return server.Errorf(server.EINVALID, format, args...)
}
