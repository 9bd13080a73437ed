package main

import (
	"log/slog"

	"github.com/echosenseix/echosenseix/server/httpapi"
	"github.com/echosenseix/echosenseix/server/internal/hostcheck"
)

// hostChecker reads the live host against the tier of TUNING_TIER.
type hostChecker struct {
	rd  hostcheck.Reader
	cfg hostcheck.Config
}

var _ httpapi.HostChecker = hostChecker{}

// hostCheckConfig is what cfg asks of the host; ok is false without
// TUNING_TIER.
func hostCheckConfig(cfg *Config) (hostcheck.Config, bool) {
	tier, ok := hostcheck.Tiers[cfg.Host.TuningTier]
	if !ok {
		return hostcheck.Config{}, false
	}
	procs := 1
	if cfg.Clustered() {
		procs = cfg.Workers()
	}
	pool := 0
	if cfg.Database.URL != "" {
		pool = cfg.Database.MaxConnections
	}
	return hostcheck.Config{Tier: tier, Processes: procs, PoolConns: pool,
		SharedListener: !cfg.Clustered() || cfg.Cluster.ListenMode == "shared"}, true
}

// newHostChecker logs one warning per setting that is off and answers the
// checker /health and /metrics use (nil without TUNING_TIER).
func newHostChecker(cfg *Config, rd hostcheck.Reader, log *slog.Logger) httpapi.HostChecker {
	hc, ok := hostCheckConfig(cfg)
	if !ok {
		return nil
	}
	c := hostChecker{rd: rd, cfg: hc}
	for _, s := range hostcheck.Check(rd, hc).Off() {
		log.Warn("host below the tuning profile of TUNING_TIER="+cfg.Host.TuningTier, "setting", s.Key,
			"got", s.Got, "want_at_least", s.Want, "why", s.Why, "error", s.Err)
	}
	return c
}

// HostSettings re-reads the host (a few /proc/sys files and getrlimit).
func (c hostChecker) HostSettings() []httpapi.HostSetting {
	r := hostcheck.Check(c.rd, c.cfg)
	out := make([]httpapi.HostSetting, len(r.Settings))
	for i, s := range r.Settings {
		out[i] = httpapi.HostSetting{Key: s.Key, OK: s.OK, Detail: s.String()}
	}
	return out
}

// openHostChecker is newHostChecker over this host's /proc.
func openHostChecker(cfg *Config, log *slog.Logger) (httpapi.HostChecker, error) {
	if cfg.Host.TuningTier == "" {
		return nil, nil
	}
	rd, err := hostcheck.NewHostReader()
	if err != nil {
		return nil, err
	}
	return newHostChecker(cfg, rd, log), nil
}
