package redis_test

import (
	"reflect"
	"testing"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/redis"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		in      string
		want    redis.Config
		wantTLS string // ServerName of Config.TLS; "" = no TLS
		wantErr bool
	}{
		{"redis://127.0.0.1:6379/0", redis.Config{Addr: "127.0.0.1:6379"}, "", false},
		{"redis://:s3cret@cache.internal/2", redis.Config{Addr: "cache.internal:6379", Password: "s3cret", DB: 2}, "", false},
		{"redis://user:pw@[::1]:7000", redis.Config{Addr: "[::1]:7000", Password: "pw"}, "", false},
		{"rediss://:pw@cache.example:6380/1", redis.Config{Addr: "cache.example:6380", Password: "pw", DB: 1}, "cache.example", false},
		{"rediss://cache.example", redis.Config{Addr: "cache.example:6379"}, "cache.example", false},
		{"http://127.0.0.1:6379", redis.Config{}, "", true},
		{"redis://127.0.0.1:6379/x", redis.Config{}, "", true},
		{"redis://127.0.0.1:6379/-1", redis.Config{}, "", true},
		{"redis:///0", redis.Config{}, "", true},
		{"rediss://:6379", redis.Config{}, "", true},
		{"mysql://:secret@h/0", redis.Config{}, "", true},
	}
	for _, tt := range tests {
		got, err := redis.ParseURL(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseURL(%q) error = %v; want error %v", tt.in, err, tt.wantErr)
			continue
		}
		gotTLS := ""
		if got.TLS != nil {
			gotTLS = got.TLS.ServerName
			if got.TLS.InsecureSkipVerify {
				t.Errorf("ParseURL(%q): TLS skips verification; want it verified", tt.in)
			}
		}
		if gotTLS != tt.wantTLS {
			t.Errorf("ParseURL(%q) TLS server name = %q; want %q", tt.in, gotTLS, tt.wantTLS)
		}
		got.TLS = nil
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseURL(%q) = %+v; want %+v", tt.in, got, tt.want)
		}
	}
}

func TestNewClientUnreachable(t *testing.T) {
	_, err := redis.NewClient(redis.Config{Addr: "127.0.0.1:1"})
	if got := server.ErrorCode(err); got != server.EUNAVAILABLE {
		t.Fatalf("NewClient(unreachable) code = %q (%v); want %q", got, err, server.EUNAVAILABLE)
	}
}

func TestParseClusterAddrs(t *testing.T) {
	got, err := redis.ParseClusterAddrs("10.0.0.1:7000, 10.0.0.2:7001,redis://:pw@10.0.0.3:7002")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.1:7000", "10.0.0.2:7001", "10.0.0.3:7002"}
	if !reflect.DeepEqual(got.Cluster, want) || got.Password != "pw" || got.Addr != want[0] {
		t.Errorf("ParseClusterAddrs = %+v; want Cluster %v, password pw", got, want)
	}
	for _, bad := range []string{"", " , ", "10.0.0.1", "10.0.0.1:0", "redis://h:1/2",
		"redis://:a@h:1,redis://:b@h:2", "rediss://h:1,redis://h:2", "http://h:1"} {
		if _, err := redis.ParseClusterAddrs(bad); err == nil {
			t.Errorf("ParseClusterAddrs(%q) = nil error; want one", bad)
		}
	}
}
