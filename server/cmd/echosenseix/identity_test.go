package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

func TestIdentityConfig(t *testing.T) {
	tests := []configCase{
		{map[string]string{"LOGIN_MAX_ATTEMPTS_PER_ACCOUNT": "0"}, `LOGIN_MAX_ATTEMPTS_PER_ACCOUNT="0": want an integer from 1 to 10000`},
		{map[string]string{"LOGIN_MAX_ATTEMPTS_PER_ADDRESS": "-3"}, `LOGIN_MAX_ATTEMPTS_PER_ADDRESS="-3": want an integer from 1 to 100000`},
		{map[string]string{"LOGIN_THROTTLE_WINDOW": "0"}, `LOGIN_THROTTLE_WINDOW="0": want seconds >= 1`},
		{map[string]string{"LOGIN_BACKOFF": "0"}, `LOGIN_BACKOFF="0": want seconds >= 1`},
		{map[string]string{"LOGIN_BACKOFF": "120", "LOGIN_BACKOFF_MAX": "60"}, `LOGIN_BACKOFF_MAX="60": want seconds >= LOGIN_BACKOFF (120)`},
		{map[string]string{"TRUSTED_PROXIES": "10.0.0.0/33"}, `TRUSTED_PROXIES="10.0.0.0/33": want none or comma-separated CIDRs or IP addresses, e.g. 127.0.0.0/8,10.0.0.0/8`},
		{map[string]string{"TRUSTED_PROXIES": "nginx"}, `TRUSTED_PROXIES="nginx": want none or comma-separated CIDRs or IP addresses, e.g. 127.0.0.0/8,10.0.0.0/8`},
		{map[string]string{"TRUSTED_PROXIES": "none"}, ""},
		{map[string]string{"TRUSTED_PROXIES": "172.18.0.0/16, 10.1.2.3,::1"}, ""},
	}
	checkConfigErrors(t, tests)
}

func TestIdentityConfigValues(t *testing.T) {
	cfg, err := loadConfig(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	want := server.LoginLimits{PerAccount: 5, PerAddress: 20, Window: 15 * time.Minute, Backoff: time.Minute, MaxBackoff: time.Hour}
	if got := cfg.Login.Limits(); got != want {
		t.Errorf("default LoginLimits: got %+v; want %+v", got, want)
	}
	proxies := []struct {
		in   string
		want []string
	}{
		{"127.0.0.0/8,::1/128", []string{"127.0.0.0/8", "::1/128"}},
		{"172.18.0.0/16, 10.1.2.3,::1", []string{"172.18.0.0/16", "10.1.2.3/32", "::1/128"}},
		{"none", []string{}},
	}
	for _, p := range proxies {
		cfg.Login.TrustedProxies = p.in
		if got := cfg.Login.TrustedProxyCIDRs(); !reflect.DeepEqual(got, p.want) || got == nil {
			t.Errorf("TrustedProxyCIDRs(%q): got %#v; want %#v", p.in, got, p.want)
		}
	}
}
