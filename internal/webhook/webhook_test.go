package webhook_test

import (
	"errors"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/webhook"
)

func TestSignKnownValue(t *testing.T) {
	// HMAC-SHA256("whsec_x", "1700000000.{}"), computed independently.
	got := webhook.Sign([]byte("whsec_x"), []byte("{}"), time.Unix(1700000000, 0))
	want := "t=1700000000,v0=" + knownMAC
	if got != want {
		t.Fatalf("Sign = %q; want %q", got, want)
	}
}

func TestParseValid(t *testing.T) {
	secret, body := []byte("s3cret"), []byte(`{"a":1}`)
	good := webhook.Sign(secret, body, time.Unix(1700000000, 0))
	other := webhook.Sign([]byte("old"), body, time.Unix(1700000000, 0))
	for _, tt := range []struct {
		name, header string
		wantErr      bool
		wantValid    bool
	}{
		{"good", good, false, true},
		{"rotated: old then new", other + "," + good[len("t=1700000000,"):], false, true},
		{"wrong secret", other, false, false},
		{"no v0", "t=1700000000", true, false},
		{"no t", good[len("t=1700000000,"):], true, false},
		{"negative t", "t=-1," + good[len("t=1700000000,"):], true, false},
		{"short v0", "t=1700000000,v0=00", true, false},
		{"empty", "", true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sig, err := webhook.Parse([]byte(tt.header))
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("Parse(%q) error = %v; want error %v", tt.header, err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, webhook.ErrMalformed) {
					t.Fatalf("Parse error = %v; want ErrMalformed", err)
				}
				return
			}
			if got := sig.Valid(secret, body); got != tt.wantValid {
				t.Fatalf("Valid = %v; want %v", got, tt.wantValid)
			}
			if sig.Valid(secret, []byte(`{"a":2}`)) {
				t.Fatal("Valid accepts a changed body")
			}
		})
	}
}

func TestFresh(t *testing.T) {
	at := time.Unix(1700000000, 0)
	sig, err := webhook.Parse([]byte(webhook.Sign([]byte("k"), nil, at)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		now  time.Time
		want bool
	}{
		{at, true},
		{at.Add(5 * time.Minute), true},
		{at.Add(-5 * time.Minute), true},
		{at.Add(5*time.Minute + time.Second), false},
		{at.Add(-5*time.Minute - time.Second), false},
	} {
		if got := sig.Fresh(tt.now, 5*time.Minute); got != tt.want {
			t.Errorf("Fresh(%v) = %v; want %v", tt.now.Sub(at), got, tt.want)
		}
	}
}

// FuzzParse: nothing panics, and a parsed signature has a timestamp and a v0.
func FuzzParse(f *testing.F) {
	f.Add([]byte("t=1700000000,v0=" + knownMAC))
	f.Add([]byte("t=1,v0=00"))
	f.Fuzz(func(t *testing.T, h []byte) {
		sig, err := webhook.Parse(h)
		if err == nil && (sig.Timestamp < 0 || sig.Len() == 0) {
			t.Fatalf("Parse(%q) = %+v without error; want a timestamp and a v0", h, sig)
		}
	})
}

const knownMAC = "be8cb8325f2202445260a855532f967e30ad2a9394ce28da66ee02880ddcb661"
