package main

import (
	"net"
	"strings"

	"github.com/echosenseix/echosenseix/server"
)

// Limits are the LOGIN_* settings as the throttles take them.
func (c LoginConfig) Limits() server.LoginLimits {
	return server.LoginLimits{
		PerAccount: c.MaxAttemptsPerAccount,
		PerAddress: c.MaxAttemptsPerAddress,
		Window:     c.ThrottleWindow.D(),
		Backoff:    c.Backoff.D(),
		MaxBackoff: c.BackoffMax.D(),
	}
}

// TrustedProxyCIDRs is TRUSTED_PROXIES as CIDRs (a bare address becomes
// /32 or /128); "none" answers an empty, non-nil list: no peer is trusted.
func (c LoginConfig) TrustedProxyCIDRs() []string {
	out := []string{}
	if strings.TrimSpace(c.TrustedProxies) == "none" {
		return out
	}
	for _, f := range strings.Split(c.TrustedProxies, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if ip := net.ParseIP(f); ip != nil {
			bits := 128
			if ip.To4() != nil {
				bits = 32
			}
			f = (&net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}).String()
		}
		out = append(out, f)
	}
	return out
}

func validProxies(s string) bool {
	if strings.TrimSpace(s) == "none" {
		return true
	}
	n := 0
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n++
		if net.ParseIP(f) != nil {
			continue
		}
		if _, _, err := net.ParseCIDR(f); err != nil {
			return false
		}
	}
	return n > 0
}
