package main

import (
	"net/url"
	"strings"

	"github.com/echosenseix/echosenseix/server/internal/origin"
	"github.com/echosenseix/echosenseix/server/redis"
)

// hardeningRules validates the request limits, ALLOWED_ORIGINS, APP_ENV,
// ADMIN_ADDR and, in production, the secrets.
func (c *Config) hardeningRules() []rule {
	_, originErr := origin.New(c.Hardening.Origins())
	rules := []rule{
		{"DOCUMENT_BODY_LIMIT", c.Hardening.DocumentBodyLimit, c.Hardening.DocumentBodyLimit >= 1024 && c.Hardening.DocumentBodyLimit <= 1<<30, "bytes from 1024 to 1073741824"},
		{"WEBHOOK_BODY_LIMIT", c.Hardening.WebhookBodyLimit, c.Hardening.WebhookBodyLimit >= 1024 && c.Hardening.WebhookBodyLimit <= 1<<30, "bytes from 1024 to 1073741824"},
		{"HTTP_MAX_HEADER_BYTES", c.Hardening.MaxHeaderBytes, c.Hardening.MaxHeaderBytes >= 4096 && c.Hardening.MaxHeaderBytes <= 1<<20, "bytes from 4096 to 1048576"},
		{"ALLOWED_ORIGINS", c.Hardening.AllowedOrigins, originErr == nil, "comma-separated scheme://host[:port] origins, or *"},
		{"APP_ENV", c.Hardening.AppEnv, oneOf(c.Hardening.AppEnv, "development", "production"), "development or production"},
		{"ADMIN_ADDR", c.Hardening.AdminAddr, validHostPort(c.Hardening.AdminAddr), "empty or host:port (port 0 to 65535), e.g. 127.0.0.1:9090"},
	}
	if c.Hardening.AppEnv == "production" {
		rules = append(rules, c.productionRules()...)
	}
	return rules
}

// productionRules refuse secrets a deployment must not run with: the
// realtime key must be set (instances behind one load balancer must share
// it) and no secret may be a placeholder copied from an example.
func (c *Config) productionRules() []rule {
	const want = "a secret of your own in production (APP_ENV=production), not empty or a placeholder"
	return []rule{
		{"REALTIME_TOKEN_SECRET", "(hidden)", c.Realtime.TokenSecret != "" && !placeholder(c.Realtime.TokenSecret), want},
		{"SEED_PASSWORD", "(hidden)", c.Seed.Password == "" || !placeholder(c.Seed.Password), want},
		{"REDIS_PASSWORD", "(hidden)", c.Redis.Password == "" || !placeholder(c.Redis.Password), want},
		{"DATABASE_URL", redactURL(c.Database.URL), !placeholder(urlPassword(c.Database.URL)), "a password of your own in production (APP_ENV=production), not a placeholder"},
		{"REDIS_URL", redactURL(c.Redis.URL), !placeholder(urlPassword(c.Redis.URL)), "a password of your own in production (APP_ENV=production), not a placeholder"},
		{"REDIS_CLUSTER_ADDRS", redactURLs(c.Redis.ClusterAddrs), !placeholder(clusterPassword(c.Redis.ClusterAddrs)), "a password of your own in production (APP_ENV=production), not a placeholder"},
	}
}

// clusterPassword is the password REDIS_CLUSTER_ADDRS's URLs give, if any.
func clusterPassword(list string) string {
	cfg, err := redis.ParseClusterAddrs(list)
	if err != nil {
		return ""
	}
	return cfg.Password
}

// Origins is ALLOWED_ORIGINS as a list.
func (c HardeningConfig) Origins() []string {
	var out []string
	for o := range strings.SplitSeq(c.AllowedOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}

// placeholders are the words example files put where a secret belongs.
var placeholders = []string{"changeme", "changethis", "replaceme", "secret", "password", "passwd", "postgres",
	"redis", "admin", "default", "example", "test", "dev", "demo", "12345678", "xxxxxxxx", "todo", "insecure"}

// placeholder reports whether s is, or starts with, a known placeholder
// ("change-me", "CHANGE_ME_in_production-0123", "secret", "password1"),
// ignoring case and punctuation. The empty string is no placeholder.
func placeholder(s string) bool {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	n := b.String()
	if n == "" {
		return s != ""
	}
	for _, p := range placeholders {
		if strings.HasPrefix(n, p) && len(n) <= len(p)+24 {
			return true
		}
	}
	return strings.Contains(n, "changeme") || strings.Contains(n, "replaceme")
}

// urlPassword is the password of a postgres:// or redis:// URL ("" when
// none or unparsable).
func urlPassword(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return ""
	}
	p, _ := u.User.Password()
	return p
}
