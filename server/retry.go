package server

import "strconv"

// RetryAfter is the cause of an ERATELIMITED error that knows how long the
// caller must wait; the HTTP adapter sends it as Retry-After.
type RetryAfter struct {
	Seconds int
}

func (r *RetryAfter) Error() string { return "retry after " + strconv.Itoa(r.Seconds) + "s" }

// RateLimited is an ERATELIMITED error whose caller must wait seconds (at
// least 1).
func RateLimited(seconds int, msg string) *Error {
	return WrapError(ERATELIMITED, msg, &RetryAfter{Seconds: max(seconds, 1)})
}
