package loadgen

import "github.com/echosenseix/echosenseix/internal/rawhttp"

// The load generator's HTTP client is internal/rawhttp.
type (
	Target    = rawhttp.Target
	Conn      = rawhttp.Conn
	Response  = rawhttp.Response
	KindError = rawhttp.KindError
)

// Error kinds counted by every run (plus "status_NNN" per non-2xx status).
const (
	ErrConnect = rawhttp.ErrConnect
	ErrTimeout = rawhttp.ErrTimeout
	ErrIO      = rawhttp.ErrIO
	ErrParse   = rawhttp.ErrParse
)

var (
	ParseTarget  = rawhttp.ParseTarget
	BuildRequest = rawhttp.BuildRequest
	NewConn      = rawhttp.NewConn
	ErrorKind    = rawhttp.ErrorKind
	statusKind   = rawhttp.StatusKind
)
