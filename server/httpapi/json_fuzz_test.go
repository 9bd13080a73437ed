package httpapi

import (
	"testing"

	"github.com/echosenseix/echosenseix/server"
)

// FuzzDecodeJSON feeds request bodies to decodeJSON with every request
// type a JSON route decodes, strict or loose as the route does. Whatever
// the bytes, it must not panic, and a refusal must be a coded
// invalid_request (400), never an internal error (500). The corpus is in
// testdata/fuzz/FuzzDecodeJSON; run with `make fuzz`.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"email":"a@b.c","password":"x"}`,
		`{"name":"n","platform":"elevenlabs","externalAgentId":"e","metadata":{"a":[1,2,{"b":null}]}}`,
		`{"name":null,"isActive":true}`,
		`{"title":"t","content":"c"}`,
		`{"email":"\u0000","password":"\ud800"}`,
		`{"unknown":1}`,
		`[1]`, `""`, `null`, `1e999`, `{"name":1}`, `{"a":` + "\xff" + `}`, `{} {}`, "\xef\xbb\xbf{}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, tc := range []struct {
			v      func() any
			strict bool
		}{
			{func() any { return new(loginRequest) }, false},
			{func() any { return new(agentInput) }, true},
			{func() any { return new(server.AgentPatch) }, true},
			{func() any { return new(documentInput) }, true},
		} {
			err := decodeJSON(body, tc.v(), tc.strict, DefaultMaxJSONDepth)
			if err == nil {
				continue
			}
			code := server.ErrorCode(err)
			if status := statusOf(code); code != server.EINVALID || status != 400 {
				t.Fatalf("decodeJSON(%q) into %T = %v: code %q status %d; want invalid_request 400", body, tc.v(), err, code, status)
			}
			if server.ErrorMessage(err) == "" {
				t.Fatalf("decodeJSON(%q) into %T: empty message", body, tc.v())
			}
		}
	})
}
