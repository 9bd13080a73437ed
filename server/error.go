package server

import (
	"errors"
	"fmt"
)

// Error codes. httpapi maps each to one HTTP status in one place.
const (
	EINVALID      = "invalid_request"   // 400: malformed or semantically wrong input
	EUNAUTHORIZED = "unauthorized"      // 401: no or bad credentials
	ENOTFOUND     = "not_found"         // 404: absent, or owned by another organization
	ECONFLICT     = "conflict"          // 409: unique constraint, state conflict
	ETOOLARGE     = "payload_too_large" // 413: body over the limit
	ERATELIMITED  = "rate_limited"      // 429: slowed or refused (login attempts)
	EINTERNAL     = "internal"          // 500: a bug or an unexpected failure
	EUNAVAILABLE  = "unavailable"       // 503: dependency down, pool exhausted, draining
)

// Error codes of requests refused before their handler runs.
const (
	EFORBIDDEN = "forbidden"              // 403: a browser request from an origin not allowed
	EMEDIATYPE = "unsupported_media_type" // 415: a body in a Content-Type the route does not read
)

// Error is the one coded domain error. Code is one of the E* constants;
// Message is safe to show to clients; Err, if set, is the cause (logged, never
// sent to clients).
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns an *Error with code and message whose cause is err.
func WrapError(code, message string, err error) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err: the *Error's Message,
// or "internal error" for anything else.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// IsNotFound reports whether err carries ENOTFOUND.
func IsNotFound(err error) bool { return ErrorCode(err) == ENOTFOUND }
