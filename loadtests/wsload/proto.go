package wsload

import (
	"encoding/json"
	"os"
	"time"
)

// Environment variables of a child process.
const (
	envChild = "WSLOAD_CHILD" // the child's JSON config
)

// Modes.
const (
	ModeWS   = "ws"
	ModeHTTP = "http"
)

// childConfig is what one child process is told at start.
type childConfig struct {
	Proc      int           `json:"proc"`
	Mode      string        `json:"mode"`
	Plan      Plan          `json:"plan"`
	Target    string        `json:"target"` // host:port
	Path      string        `json:"path"`   // ws path or http path
	Rate      float64       `json:"rate"`   // connections per second of this process
	Dialers   int           `json:"dialers"`
	Run       string        `json:"run"`
	PingEvery time.Duration `json:"pingEvery"`
	HTTPEvery time.Duration `json:"httpEvery"`
	Timeout   time.Duration `json:"timeout"` // dial+handshake, and an HTTP answer
}

// command is a line the coordinator writes on a child's stdin.
type command struct {
	Tokens   map[string]string `json:"tokens,omitempty"` // TokenKey -> token
	Stop     bool              `json:"stop,omitempty"`
	Expected uint32            `json:"expected,omitempty"` // events each big-organization socket should have received
}

// status is a line a child writes on stdout, cumulative since its start.
type status struct {
	Proc       int            `json:"proc"`
	PID        int            `json:"pid"`
	Held       int            `json:"held"`                 // open connections now
	Opened     int            `json:"opened"`               // connections established so far
	DialErrors int            `json:"dialErrors"`           // failed TCP connects or handshakes (retried)
	Handshake  map[string]int `json:"handshake,omitempty"`  // refused handshakes by HTTP status
	Drops      map[string]int `json:"drops,omitempty"`      // unexpected closes by close code (1006 = no close frame)
	Events     uint64         `json:"events"`               // call_completed of this run received
	Dups       uint64         `json:"dups"`                 // out-of-order or repeated events
	Latency    *Histogram     `json:"latency,omitempty"`    // fan-out latency (ws), response time (http)
	Requests   uint64         `json:"requests"`             // http: answered requests
	HTTPErrors map[string]int `json:"httpErrors,omitempty"` // http: errors by kind
	PingsSent  uint64         `json:"pingsSent"`
	Final      bool           `json:"final,omitempty"`
	Missing    uint64         `json:"missing,omitempty"`    // final: events not received, summed over big-organization sockets
	ConnsShort int            `json:"connsShort,omitempty"` // final: big-organization sockets that missed any
	BigConns   int            `json:"bigConns,omitempty"`   // final: big-organization sockets open at stop
	Received   map[string]int `json:"received,omitempty"`   // final: events received -> sockets
	PerSeq     map[string]int `json:"perSeq,omitempty"`     // final: deliveries per event sequence number
	Error      string         `json:"error,omitempty"`
}

// IsChild reports whether this process is a wsload child (re-executed by
// the coordinator); the binary's main then runs ChildMain.
func IsChild() bool { return os.Getenv(envChild) != "" }

func encodeLine(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("BUG: cannot encode: " + err.Error())
	}
	return append(b, '\n')
}
