package stack

import (
	"reflect"
	"testing"
)

// TestRedisURLRoundTrip: URL writes what parseRedisURL (rueidis' parser, as
// the server's) reads back, password and database included; rediss:// is
// refused, the stack's Redis speaks plain TCP.
func TestRedisURLRoundTrip(t *testing.T) {
	tests := []struct {
		in   Redis
		want string
	}{
		{Redis{Addr: "127.0.0.1:6379"}, "redis://127.0.0.1:6379/0"},
		{Redis{Addr: "h:1", Password: "p w", DB: 3}, "redis://:p%20w@h:1/3"},
	}
	for _, tc := range tests {
		got := tc.in.URL()
		if got != tc.want {
			t.Errorf("%+v.URL() = %q; want %q", tc.in, got, tc.want)
		}
		back, err := parseRedisURL(got)
		if err != nil || !reflect.DeepEqual(back, tc.in) {
			t.Errorf("parseRedisURL(%q) = %+v, %v; want %+v", got, back, err, tc.in)
		}
	}
	if _, err := parseRedisURL("rediss://h:1/0"); err == nil {
		t.Error("parseRedisURL(rediss://) = nil error; want TLS refused")
	}
	if _, err := parseRedisURL("http://h:1"); err == nil {
		t.Error("parseRedisURL(http://) = nil error; want an error")
	}
}
