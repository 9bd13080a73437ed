package main

import (
	"net"
	"strings"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// LoginLimits are the LOGIN_* settings.
func (c *Config) LoginLimits() server.LoginLimits {
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	return server.LoginLimits{
		PerAccount: c.LoginMaxAttemptsPerAccount,
		PerAddress: c.LoginMaxAttemptsPerAddress,
		Window:     sec(c.LoginThrottleWindow),
		Backoff:    sec(c.LoginBackoff),
		MaxBackoff: sec(c.LoginBackoffMax),
	}
}

// TrustedProxyCIDRs is TRUSTED_PROXIES as CIDRs (a bare address becomes
// /32 or /128); "none" answers an empty, non-nil list: no peer is trusted.
func (c *Config) TrustedProxyCIDRs() []string {
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
