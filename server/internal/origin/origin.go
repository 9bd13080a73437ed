// Package origin decides whether a browser request comes from an allowed
// origin: the cross-site request forgery check of state-changing requests
// and of WebSocket upgrades. One Policy serves both, so the HTTP routes and
// the realtime listeners accept exactly the same origins.
package origin

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
)

// Policy is an allow-list of origins. The request's own host (the origin
// whose host[:port] equals the Host header) is always allowed, so the zero
// Policy accepts same-origin requests only.
type Policy struct {
	any     bool
	allowed map[string]struct{} // lower-case "scheme://host[:port]"
}

// New parses an allow-list of origins ("https://app.example.com",
// "http://localhost:3000"); "*" allows every origin.
func New(origins []string) (*Policy, error) {
	p := &Policy{allowed: make(map[string]struct{}, len(origins))}
	for _, o := range origins {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if o == "*" {
			p.any = true
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return nil, fmt.Errorf("cannot parse origin %q: want scheme://host[:port], e.g. https://app.example.com", o)
		}
		p.allowed[strings.ToLower(u.Scheme+"://"+u.Host)] = struct{}{}
	}
	return p, nil
}

// Allowed reports whether a request with this Origin header value to this
// Host may proceed. No Origin (a non-browser client, which could forge one
// anyway) is allowed.
func (p *Policy) Allowed(origin, host []byte) bool {
	if len(origin) == 0 || (p != nil && p.any) {
		return true
	}
	if sameHost(origin, host) {
		return true
	}
	if p == nil || len(p.allowed) == 0 {
		return false
	}
	_, ok := p.allowed[strings.ToLower(string(origin))]
	return ok
}

// AllowedWrite is the check of a state-changing request (POST, PUT, PATCH,
// DELETE): the Origin header decides when present; without it, browsers'
// Sec-Fetch-Site must say same-origin or none (typed by the user). Neither
// header: a non-browser client, allowed.
func (p *Policy) AllowedWrite(origin, secFetchSite, host []byte) bool {
	if len(origin) > 0 {
		return p.Allowed(origin, host)
	}
	switch string(secFetchSite) {
	case "", "same-origin", "none":
		return true
	}
	return false
}

// sameHost reports whether origin is scheme://host with host equal to the
// Host header (case-insensitively).
func sameHost(origin, host []byte) bool {
	if len(host) == 0 {
		return false
	}
	i := bytes.Index(origin, []byte("://"))
	if i < 0 {
		return false
	}
	return bytes.EqualFold(origin[i+3:], host)
}
