package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"time"
)

// ErrMalformed is returned by Parse for a header without a timestamp or a
// well-formed v0 value.
var ErrMalformed = errors.New("missing or malformed " + Header + " header")

// Signature is a parsed Header value.
type Signature struct {
	// Timestamp is the signed unix second.
	Timestamp int64
	t         []byte   // the timestamp as sent (signed verbatim)
	sigs      [][]byte // decoded v0 values
}

// Parse reads "t=<unix>,v0=<hex>[,v0=<hex>]". Unknown parts are ignored;
// a v0 of the wrong length or not hex is skipped.
func Parse(h []byte) (Signature, error) {
	sig := Signature{Timestamp: -1}
	for part := range bytes.SplitSeq(h, []byte(",")) {
		part = bytes.TrimSpace(part)
		switch {
		case bytes.HasPrefix(part, []byte("t=")) && sig.Timestamp < 0:
			n, err := strconv.ParseInt(string(part[2:]), 10, 64)
			if err != nil || n < 0 {
				return Signature{}, ErrMalformed
			}
			sig.Timestamp, sig.t = n, part[2:]
		case bytes.HasPrefix(part, []byte("v0=")) && len(part) == 3+hex.EncodedLen(sha256.Size):
			// The length check comes first: hex.Decode writes past a
			// destination shorter than half its input.
			v := make([]byte, sha256.Size)
			if _, err := hex.Decode(v, part[3:]); err == nil {
				sig.sigs = append(sig.sigs, v)
			}
		}
	}
	if sig.Timestamp < 0 || len(sig.sigs) == 0 {
		return Signature{}, ErrMalformed
	}
	return sig, nil
}

// Len is the number of v0 values.
func (sig *Signature) Len() int { return len(sig.sigs) }

// Fresh reports whether the timestamp is within tolerance of now, either way.
func (sig *Signature) Fresh(now time.Time, tolerance time.Duration) bool {
	d := now.Unix() - sig.Timestamp
	if d < 0 {
		d = -d
	}
	return float64(d) <= tolerance.Seconds()
}

// Valid checks HMAC-SHA256(secret, "<t>.<body>") against every v0 in
// constant time: it compares all of them whatever the first one gives.
func (sig *Signature) Valid(secret, body []byte) bool {
	want := mac(secret, sig.t, body)
	ok := false
	for _, v := range sig.sigs {
		ok = hmac.Equal(want, v) || ok
	}
	return ok
}
