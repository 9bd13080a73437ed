package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"strconv"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/echosenseix/echosenseix/server"
)

// RetryAfterSeconds is the Retry-After sent with 503 answers.
const RetryAfterSeconds = 1

// statusOf maps a domain error code to its HTTP status: the one place.
func statusOf(code string) int {
	switch code {
	case server.EINVALID:
		return 400
	case server.EUNAUTHORIZED:
		return 401
	case server.EFORBIDDEN:
		return 403
	case server.ENOTFOUND:
		return 404
	case server.ECONFLICT:
		return 409
	case server.ETOOLARGE:
		return 413
	case server.EMEDIATYPE:
		return 415
	case server.ERATELIMITED:
		return 429
	case server.EUNAVAILABLE:
		return 503
	}
	return 500
}

// writeError answers err as {"error":{"code","message"}} with its status.
// Internal errors are logged with their cause; their message stays generic.
func (s *Server) writeError(ctx context.Context, c *app.RequestContext, err error) {
	code := server.ErrorCode(err)
	if errors.Is(err, context.DeadlineExceeded) && code == server.EINTERNAL {
		code, err = server.EUNAVAILABLE, server.WrapError(server.EUNAVAILABLE, "a dependency timed out", err)
	}
	status := statusOf(code)
	switch status {
	case 429:
		var ra *server.RetryAfter
		secs := RetryAfterSeconds
		if errors.As(err, &ra) {
			secs = ra.Seconds
		}
		c.Response.Header.Set("Retry-After", strconv.Itoa(secs))
	case 503:
		c.Response.Header.Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
	}
	if status >= 500 {
		s.log.LogAttrs(ctx, slog.LevelError, "request failed", slog.String("method", string(c.Method())),
			slog.String("path", string(c.Path())), slog.Int("status", status), slog.Any("err", err))
	}
	writeErrorBody(c, status, code, server.ErrorMessage(err))
}

// writeErrorBody writes the error JSON without reflection.
func writeErrorBody(c *app.RequestContext, status int, code, msg string) {
	b := make([]byte, 0, 48+len(code)+len(msg))
	b = append(b, `{"error":{"code":`...)
	b = appendJSONString(b, code)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, msg)
	b = append(b, "}}"...)
	writeJSONBytes(c, status, b)
}

var contentTypeJSON = []byte("application/json; charset=utf-8")

// writeJSONBytes answers already-encoded JSON without copying it.
func writeJSONBytes(c *app.RequestContext, status int, b []byte) {
	c.SetStatusCode(status)
	c.Response.Header.SetContentTypeBytes(contentTypeJSON)
	c.Response.SetBodyRaw(b)
}

// writeJSON encodes v with sonic and answers it.
func (s *Server) writeJSON(ctx context.Context, c *app.RequestContext, status int, v any) {
	b, err := jsonAPI.Marshal(v)
	if err != nil {
		s.writeError(ctx, c, server.WrapError(server.EINTERNAL, "cannot encode response", err))
		return
	}
	writeJSONBytes(c, status, b)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string literal.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '"' || ch == '\\':
			b = append(b, '\\', ch)
		case ch < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[ch>>4], hexDigits[ch&0xf])
		default:
			b = append(b, ch)
		}
	}
	return append(b, '"')
}
