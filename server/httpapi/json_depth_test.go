package httpapi

import (
	"math/rand/v2"
	"testing"

	"github.com/echosenseix/echosenseix/internal/webhook"
)

// depthExceedsByByte is the plain byte-per-byte scan depthExceeds must
// agree with.
func depthExceedsByByte(b []byte, max int) bool {
	depth, inStr := 0, false
	for i := 0; i < len(b); i++ {
		ch := b[i]
		if inStr {
			if ch == '\\' {
				i++
			} else if ch == '"' {
				inStr = false
			}
			continue
		}
		switch ch {
		case '"':
			inStr = true
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

// TestDepthExceedsMatchesByteScan: on hand-picked and random bodies built
// of brackets, quotes and backslashes, at every limit, the IndexByte scan
// answers what the byte-per-byte scan answers.
func TestDepthExceedsMatchesByteScan(t *testing.T) {
	cases := []string{``, `"`, `"\`, `"\"`, `"\\"[[`, `"\\\"[[["[[`, `[["a\\\\"],["\"]"]]`, `{"a":"]]]]","b":[[[1]]]}`,
		`["unterminated [[[[`, `[[[[`, `]]]][[`, `"x\\\\\\"[`}
	body := string(webhook.PostCallBody("agent", "conv", 1700000000, 95))
	cases = append(cases, body, body[:len(body)/2])
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte(`[]{}"\\a:,`)
	for range 5000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, c := range cases {
		for max := 0; max <= 6; max++ {
			if got, want := depthExceeds([]byte(c), max), depthExceedsByByte([]byte(c), max); got != want {
				t.Fatalf("depthExceeds(%q, %d) = %v; the byte scan says %v", c, max, got, want)
			}
		}
	}
}

// BenchmarkDepthExceeds is the depth check on the post-call webhook body the
// benchmarks send: ours (IndexByte over strings) against the byte scan.
func BenchmarkDepthExceeds(b *testing.B) {
	body := webhook.PostCallBody("agent_0123456789", "conv-0123456789", 1700000000, 95)
	for _, bc := range []struct {
		name string
		fn   func([]byte, int) bool
	}{{"impl=ours", depthExceeds}, {"impl=peer", depthExceedsByByte}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if bc.fn(body, 64) {
					b.Fatal("too deep")
				}
			}
		})
	}
}
