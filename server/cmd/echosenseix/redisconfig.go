package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/echosenseix/echosenseix/server/redis"
)

// redisConfig answers the Redis settings as package redis takes them:
// REDIS_URL (parsed by redis.ParseURL, the one parser), else REDIS_HOST
// etc.; with rediss://, the CA file or the system's roots. cacheTTL is
// CACHE_TTL.
func (c RedisConfig) redisConfig(cache CacheConfig) (redis.Config, error) {
	rc, err := c.target()
	if err != nil {
		return rc, err
	}
	rc.CacheTTL = cache.TTL.D()
	rc.ReadTimeout = c.Timeout.D()
	if rc.TLS == nil {
		return rc, nil
	}
	if c.TLSCAFile != "" {
		if err := redis.LoadCA(rc.TLS, c.TLSCAFile); err != nil {
			return rc, &ConfigError{Name: "REDIS_TLS_CA_FILE", Value: c.TLSCAFile, Want: "a readable PEM file of CA certificates (" + err.Error() + ")"}
		}
	}
	rc.TLS.InsecureSkipVerify = c.TLSInsecureSkipVerify
	return rc, nil
}

// target is REDIS_CLUSTER_ADDRS (parsed by redis.ParseClusterAddrs), else
// REDIS_URL, else REDIS_HOST, REDIS_PORT, REDIS_PASSWORD and REDIS_DB.
func (c RedisConfig) target() (redis.Config, error) {
	if c.ClusterAddrs != "" {
		rc, err := redis.ParseClusterAddrs(c.ClusterAddrs)
		if err != nil {
			return rc, &ConfigError{Name: "REDIS_CLUSTER_ADDRS", Value: redactURLs(c.ClusterAddrs), Want: clusterAddrsWant}
		}
		if rc.Password == "" {
			rc.Password = c.Password
		}
		return rc, nil
	}
	if c.URL == "" {
		return redis.Config{Addr: net.JoinHostPort(c.Host, fmt.Sprint(c.Port)), Password: c.Password, DB: c.DB}, nil
	}
	rc, err := redis.ParseURL(c.URL)
	if err != nil {
		return rc, &ConfigError{Name: "REDIS_URL", Value: redactURL(c.URL), Want: redisURLWant}
	}
	return rc, nil
}

const (
	redisURLWant     = "empty or redis://[:password@]host:port/db (or rediss:// for TLS)"
	clusterAddrsWant = "empty, or a comma list of host:port or redis://[:password@]host:port (db 0) agreeing on password and TLS, with REDIS_URL empty"
)

// tlsURL reports whether REDIS_URL (or REDIS_CLUSTER_ADDRS) asks for TLS.
func (c RedisConfig) tlsURL() bool {
	return strings.HasPrefix(c.URL, "rediss://") || strings.Contains(c.ClusterAddrs, "rediss://")
}

// redactURLs is redactURL of each item of a comma list.
func redactURLs(list string) string {
	items := strings.Split(list, ",")
	for i, it := range items {
		items[i] = redactURL(strings.TrimSpace(it))
	}
	return strings.Join(items, ",")
}

// rules validate REDIS_URL with the adapter's parser, and the TLS settings
// (which need rediss://).
func (c RedisConfig) rules() []rule {
	_, urlErr := RedisConfig{URL: c.URL}.target()
	_, clusterErr := redis.ParseClusterAddrs(c.ClusterAddrs)
	caOK := c.TLSCAFile == ""
	if !caOK && c.tlsURL() {
		caOK = redis.LoadCA(&tls.Config{}, c.TLSCAFile) == nil
	}
	return []rule{
		{"REDIS_URL", redactURL(c.URL), urlErr == nil, redisURLWant},
		{"REDIS_CLUSTER_ADDRS", redactURLs(c.ClusterAddrs), c.ClusterAddrs == "" || (clusterErr == nil && c.URL == ""), clusterAddrsWant},
		{"REDIS_TIMEOUT", c.Timeout, c.Timeout.D() >= 10*time.Millisecond && c.Timeout.D() <= time.Minute, "milliseconds from 10 to 60000"},
		{"REDIS_TLS_CA_FILE", c.TLSCAFile, caOK, "empty, or a readable PEM file of CA certificates with REDIS_URL=rediss://"},
		{"REDIS_TLS_INSECURE_SKIP_VERIFY", c.TLSInsecureSkipVerify, !c.TLSInsecureSkipVerify || c.tlsURL(), "false unless REDIS_URL is rediss://"},
	}
}
