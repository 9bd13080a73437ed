package origin_test

import (
	"testing"

	"github.com/echosenseix/echosenseix/server/internal/origin"
)

func TestPolicy(t *testing.T) {
	list, err := origin.New([]string{"https://app.example.com", " http://localhost:3000 "})
	if err != nil {
		t.Fatal(err)
	}
	star, err := origin.New([]string{"*"})
	if err != nil {
		t.Fatal(err)
	}
	same, err := origin.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name         string
		p            *origin.Policy
		origin, host string
		want         bool
	}{
		{"no origin", same, "", "api.example.com", true},
		{"same host", same, "https://api.example.com", "api.example.com", true},
		{"same host, case", same, "https://API.example.com", "api.example.com", true},
		{"same host with port", same, "http://127.0.0.1:5000", "127.0.0.1:5000", true},
		{"other port", same, "http://127.0.0.1:5001", "127.0.0.1:5000", false},
		{"other host, default policy", same, "https://evil.example", "api.example.com", false},
		{"null origin", same, "null", "api.example.com", false},
		{"listed", list, "https://app.example.com", "api.example.com", true},
		{"listed, case", list, "HTTPS://APP.example.com", "api.example.com", true},
		{"listed with port", list, "http://localhost:3000", "api.example.com", true},
		{"listed host, other scheme", list, "http://app.example.com", "api.example.com", false},
		{"not listed", list, "https://evil.example", "api.example.com", false},
		{"star", star, "https://evil.example", "api.example.com", true},
		{"nil policy, same host", nil, "http://h", "h", true},
		{"nil policy, other host", nil, "http://x", "h", false},
	} {
		if got := tc.p.Allowed([]byte(tc.origin), []byte(tc.host)); got != tc.want {
			t.Errorf("%s: Allowed(%q, %q) = %v; want %v", tc.name, tc.origin, tc.host, got, tc.want)
		}
	}
}

func TestAllowedWrite(t *testing.T) {
	p, _ := origin.New([]string{"https://app.example.com"})
	for _, tc := range []struct {
		origin, site string
		want         bool
	}{
		{"", "", true},                                  // curl, server-to-server
		{"", "same-origin", true},                       // browser, same origin, Origin omitted
		{"", "none", true},                              // typed by the user
		{"", "cross-site", false},                       // browser, another site
		{"", "same-site", false},                        // a sibling subdomain is another origin
		{"https://evil.example", "", false},             // old browser: Origin alone
		{"https://app.example.com", "cross-site", true}, // listed origin decides
		{"https://api.example.com", "same-origin", true},
		{"https://evil.example", "same-origin", false}, // Origin wins over Sec-Fetch-Site
	} {
		if got := p.AllowedWrite([]byte(tc.origin), []byte(tc.site), []byte("api.example.com")); got != tc.want {
			t.Errorf("AllowedWrite(origin %q, Sec-Fetch-Site %q) = %v; want %v", tc.origin, tc.site, got, tc.want)
		}
	}
}

func TestNewRefusesMalformed(t *testing.T) {
	for _, o := range []string{"app.example.com", "ftp://x", "https://x/path", "https://"} {
		if _, err := origin.New([]string{o}); err == nil {
			t.Errorf("New(%q) = nil error; want one", o)
		}
	}
}
