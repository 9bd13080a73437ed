package hostcheck

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// fakeReader answers fixed values; a missing key is unreadable.
type fakeReader struct {
	nofile uint64
	sys    map[string]int64
}

func (f fakeReader) OpenFileLimit() (uint64, error) { return f.nofile, nil }
func (f fakeReader) Sysctl(key string) (int64, error) {
	v, ok := f.sys[key]
	if !ok {
		return 0, errors.New("no such file")
	}
	return v, nil
}

func TestNeedsOf(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		want Needs
	}{
		{"1k single", Config{Tier: Tiers["1k"], Processes: 1, SharedListener: true, PoolConns: 100},
			Needs{ProcessFiles: 1272 + 100 + FDHeadroom, HostFiles: 1272 + 100 + FDHeadroom, Backlog: 1272}},
		{"10k shared 2 workers", Config{Tier: Tiers["10k"], Processes: 2, SharedListener: true, PoolConns: 50},
			Needs{ProcessFiles: 5516 + 25 + FDHeadroom, HostFiles: 2 * (5516 + 25 + FDHeadroom), Backlog: 11032}},
		{"10k reuseport 2 workers", Config{Tier: Tiers["10k"], Processes: 2, PoolConns: 50},
			Needs{ProcessFiles: 5516 + 25 + FDHeadroom, HostFiles: 2 * (5516 + 25 + FDHeadroom), Backlog: 5516}},
		{"100k single caps backlog", Config{Tier: Tiers["100k"], Processes: 1, SharedListener: true},
			Needs{ProcessFiles: 102048 + FDHeadroom, HostFiles: 102048 + FDHeadroom, Backlog: MaxBacklog}},
		{"zero processes is one", Config{Tier: Tiers["1k"], SharedListener: true},
			Needs{ProcessFiles: 1272 + FDHeadroom, HostFiles: 1272 + FDHeadroom, Backlog: 1272}},
	}
	for _, tc := range tests {
		if got := NeedsOf(tc.c); got != tc.want {
			t.Errorf("%s: NeedsOf = %+v; want %+v", tc.name, got, tc.want)
		}
	}
}

func TestCheck(t *testing.T) {
	c := Config{Tier: Tiers["10k"], Processes: 1, SharedListener: true, PoolConns: 100}
	n := NeedsOf(c)
	good := map[string]int64{KeySomaxconn: 65535, KeySynBacklog: 65535, KeyNrOpen: 1 << 20, KeyFileMax: 1 << 22}
	tests := []struct {
		name    string
		rd      fakeReader
		wantOff []string
	}{
		{"tuned host", fakeReader{nofile: 1 << 20, sys: good}, nil},
		{"exactly the need", fakeReader{nofile: uint64(n.ProcessFiles), sys: map[string]int64{
			KeySomaxconn: int64(n.Backlog), KeySynBacklog: int64(n.Backlog), KeyNrOpen: int64(n.ProcessFiles), KeyFileMax: int64(n.HostFiles)}}, nil},
		{"kernel defaults, nofile 1024", fakeReader{nofile: 1024, sys: map[string]int64{
			KeySomaxconn: 4096, KeySynBacklog: 2048, KeyNrOpen: 1 << 20, KeyFileMax: 1 << 22}},
			[]string{KeyNofile, KeySomaxconn, KeySynBacklog}},
		{"unreadable sysctl is off", fakeReader{nofile: 1 << 20, sys: map[string]int64{
			KeySomaxconn: 65535, KeySynBacklog: 65535, KeyNrOpen: 1 << 20}}, []string{KeyFileMax}},
		{"infinite nofile holds", fakeReader{nofile: ^uint64(0), sys: good}, nil},
	}
	for _, tc := range tests {
		r := Check(tc.rd, c)
		var off []string
		for _, s := range r.Off() {
			off = append(off, s.Key)
		}
		if len(off) != len(tc.wantOff) {
			t.Errorf("%s: off = %v; want %v", tc.name, off, tc.wantOff)
			continue
		}
		for i := range off {
			if off[i] != tc.wantOff[i] {
				t.Errorf("%s: off = %v; want %v", tc.name, off, tc.wantOff)
			}
		}
		if len(r.Settings) != 5 {
			t.Errorf("%s: %d settings; want 5", tc.name, len(r.Settings))
		}
	}
}

func TestSettingString(t *testing.T) {
	tests := []struct {
		s    Setting
		want string
	}{
		{Setting{Key: KeyNofile, Got: 1024, Want: 11196}, "RLIMIT_NOFILE=1024 < 11196"},
		{Setting{Key: KeyFileMax, Got: -1, Want: 3, Err: "no such file"}, "fs.file-max unreadable (no such file)"},
	}
	for _, tc := range tests {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("String() = %q; want %q", got, tc.want)
		}
	}
}

// TestTiersMatchLoadTiers keeps the copied figures equal to the load
// tiers' definition (read as a file: the server imports no tooling).
func TestTiersMatchLoadTiers(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "loadtests", "tiers", "tiers.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Tiers map[string]struct {
			Users, HTTPConns, WebhookConns int
		}
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	for name, tier := range Tiers {
		want, ok := f.Tiers[name]
		if !ok {
			t.Errorf("tier %s: not in tiers.json", name)
			continue
		}
		got := struct{ Users, HTTPConns, WebhookConns int }{tier.Users, tier.HTTPConns, tier.WebhookConns}
		if got != want {
			t.Errorf("tier %s: got %+v; want %+v (tiers.json)", name, got, want)
		}
	}
	for name := range f.Tiers {
		if _, ok := Tiers[name]; !ok && name != "smoke" {
			t.Errorf("tiers.json tier %s is not in hostcheck.Tiers", name)
		}
	}
}

func TestHostReader(t *testing.T) {
	rd, err := NewHostReader()
	if err != nil {
		t.Fatal(err)
	}
	n, err := rd.OpenFileLimit()
	if err != nil || n == 0 {
		t.Errorf("OpenFileLimit = %d, %v; want > 0", n, err)
	}
	if v, err := rd.Sysctl(KeySomaxconn); err != nil || v <= 0 {
		t.Errorf("Sysctl(%s) = %d, %v; want > 0", KeySomaxconn, v, err)
	}
	if _, err := rd.Sysctl("net.core.no_such_key"); err == nil {
		t.Error("Sysctl(no such key) = nil error; want one")
	}
}
