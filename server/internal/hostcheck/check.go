package hostcheck

import (
	"fmt"
	"strconv"
)

// Keys of the settings checked.
const (
	KeyNofile     = "RLIMIT_NOFILE"
	KeySomaxconn  = "net.core.somaxconn"
	KeySynBacklog = "net.ipv4.tcp_max_syn_backlog"
	KeyFileMax    = "fs.file-max"
	KeyNrOpen     = "fs.nr_open"
)

// Setting is one host value against the configuration's need.
type Setting struct {
	Key  string `json:"key"`
	Got  int64  `json:"got"`  // -1 when unreadable
	Want int64  `json:"want"` // at least
	OK   bool   `json:"ok"`
	Why  string `json:"why"`
	Err  string `json:"error,omitempty"`
}

// String is the setting as one log or /health phrase.
func (s Setting) String() string {
	if s.Err != "" {
		return s.Key + " unreadable (" + s.Err + ")"
	}
	return s.Key + "=" + strconv.FormatInt(s.Got, 10) + " < " + strconv.FormatInt(s.Want, 10)
}

// Report is the host against one tier.
type Report struct {
	Tier     string    `json:"tier"`
	Needs    Needs     `json:"needs"`
	Settings []Setting `json:"settings"`
}

// Off answers the settings that do not hold.
func (r Report) Off() []Setting {
	var off []Setting
	for _, s := range r.Settings {
		if !s.OK {
			off = append(off, s)
		}
	}
	return off
}

// Check reads every setting through rd and compares it with c's needs.
// An unreadable setting counts as off: the server cannot vouch for it.
func Check(rd Reader, c Config) Report {
	n := NeedsOf(c)
	r := Report{Tier: c.Tier.Name, Needs: n}
	nofile, err := rd.OpenFileLimit()
	r.Settings = append(r.Settings, setting(KeyNofile, int64(min(nofile, 1<<62)), err, n.ProcessFiles,
		fmt.Sprintf("one process holds %d connections, its pool share and %d more files", n.ProcessFiles-FDHeadroom, FDHeadroom)))
	for _, k := range []struct {
		key  string
		want int
		why  string
	}{
		{KeySomaxconn, n.Backlog, "caps the accept queue: a reconnect storm of the listener's connections must fit"},
		{KeySynBacklog, n.Backlog, "half-open connections of the same storm"},
		{KeyNrOpen, n.ProcessFiles, "ceiling of RLIMIT_NOFILE"},
		{KeyFileMax, n.HostFiles, "open files of every server process together"},
	} {
		v, err := rd.Sysctl(k.key)
		r.Settings = append(r.Settings, setting(k.key, v, err, k.want, k.why))
	}
	return r
}

func setting(key string, got int64, err error, want int, why string) Setting {
	s := Setting{Key: key, Got: got, Want: int64(want), Why: why}
	if err != nil {
		s.Got, s.Err = -1, err.Error()
		return s
	}
	s.OK = got >= int64(want)
	return s
}
