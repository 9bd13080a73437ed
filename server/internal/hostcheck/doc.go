// Package hostcheck reads the live host (the process' open-file limit and
// the kernel's /proc/sys settings) and compares it with what the server's
// own configuration needs for the load tier it is configured for
// (TUNING_TIER). It answers one Setting per key, ok or off, for the
// start-up warnings, the "host" check of /health and the host_setting_ok
// metric. It never changes the host: tuning is the operator's step.
package hostcheck
