package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// Header carries the webhook signature.
const Header = "ElevenLabs-Signature"

// PostCallType is the event type of a finished call's webhook.
const PostCallType = "post_call_transcription"

// Sign returns the Header value for body sent at time t.
func Sign(secret, body []byte, t time.Time) string {
	return SignUnix(secret, body, t.Unix())
}

// SignUnix is Sign at unix second ts.
func SignUnix(secret, body []byte, ts int64) string {
	t := strconv.FormatInt(ts, 10)
	return "t=" + t + ",v0=" + hex.EncodeToString(mac(secret, []byte(t), body))
}

// mac is HMAC-SHA256(secret, "<t>.<body>").
func mac(secret, t, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(t)
	m.Write([]byte{'.'})
	m.Write(body)
	var buf [sha256.Size]byte
	return m.Sum(buf[:0])
}
