package redis

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// Defaults applied by Config.withDefaults to zero fields.
const (
	DefaultPrefix          = "es:"
	DefaultDialTimeout     = time.Second
	DefaultReadTimeout     = 500 * time.Millisecond
	DefaultLocalCacheBytes = 32 << 20
	DefaultCacheTTL        = server.DefaultCacheTTL // CACHE_TTL's
	// MaxLocalCacheBytes bounds LocalCacheBytes.
	MaxLocalCacheBytes = 1 << 30
)

// Config locates a Redis and tunes the clients of this package.
type Config struct {
	Addr     string // host:port; default "127.0.0.1:6379"
	Password string
	DB       int
	// Cluster, when set, holds the seed addresses (host:port) of a Redis
	// Cluster and Addr and DB are ignored: the client learns the slot map
	// from them and follows it through failovers. Keys that one command or
	// script touches together carry a hash tag (see the package doc).
	Cluster []string
	// Prefix is prepended to every key and channel; default DefaultPrefix.
	Prefix string
	// DialTimeout bounds one connection attempt; default 1 s.
	DialTimeout time.Duration
	// ReadTimeout bounds the wait for one reply (REDIS_TIMEOUT): the caller
	// gets EUNAVAILABLE and the connection stays open; default 500 ms. A
	// connection is given up (and with it every client-side entry it
	// filled) only when it stays silent for DeadAfter(ReadTimeout).
	ReadTimeout time.Duration
	// LocalCacheBytes bounds the client-side cache of one client (all its
	// connections), in bytes (approximate: key, value and bookkeeping),
	// least recently used entries evicted first; default 32 MiB, clamped to
	// MaxLocalCacheBytes.
	LocalCacheBytes int
	// CacheTTL is the Cache's TTL of an entry Set without one and the upper
	// bound of how long a cached value is kept in process memory (CACHE_TTL,
	// which the command always sets); default DefaultCacheTTL. Sessions
	// bound their copies by their own renewal period instead.
	CacheTTL time.Duration
	// TLS, when set, dials Redis over TLS with it (rediss://); nil is plain
	// TCP.
	TLS *tls.Config
	// DisableLocalCache turns client-side caching off: every Cache.Get is a
	// round trip (for comparison, or a Redis without RESP3 tracking).
	DisableLocalCache bool
}

// deadFactor: a connection whose health PING (sent after a second without
// any reply) is unanswered for deadFactor x ReadTimeout is closed.
const deadFactor = 4

// DeadAfter is how long a connection may go without answering its health
// PING before it is closed: deadFactor x readTimeout, at least a second.
//
// rueidis runs that PING (every Dialer.KeepAlive without a reply) with
// ClientOption.ConnWriteTimeout and, when it passes, closes the whole
// connection; its client-side cache store then drops every entry the
// connection filled (the invalidations that kept them coherent are gone).
// One caller's late reply must not cost that: the caller is bounded by its
// own context (ReadTimeout), which in rueidis' pipelined mode (always on
// with client-side caching) abandons the call without touching the
// connection. So the connection's own bound is several replies long: a
// Redis stalled by one slow command, or this process paused by the
// scheduler or GC, keeps its cache; a dead peer is still found within
// Dialer.KeepAlive + DeadAfter (3 s with the defaults), which also bounds
// how long a partitioned instance serves its local copies.
func DeadAfter(readTimeout time.Duration) time.Duration {
	return max(deadFactor*readTimeout, time.Second)
}

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:6379"
	}
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.LocalCacheBytes <= 0 {
		c.LocalCacheBytes = DefaultLocalCacheBytes
	}
	c.LocalCacheBytes = min(c.LocalCacheBytes, MaxLocalCacheBytes)
	if c.CacheTTL <= 0 {
		c.CacheTTL = DefaultCacheTTL
	}
	return c
}

// ParseURL reads a REDIS_URL of the form redis://[:password@]host[:port][/db]
// or rediss://... (TLS; also redis://user:password@..., the user name is
// ignored). The port defaults to 6379 and the db to 0. rediss:// sets TLS to
// a tls.Config that verifies the server's certificate for host against the
// system's roots (LoadCA puts a CA file in their place); other Config fields
// keep their zero values (defaults apply). It is the one parser of
// REDIS_URL: the command validates the setting with it.
func ParseURL(s string) (Config, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Config{}, fmt.Errorf("cannot parse redis url: %w", err)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return Config{}, fmt.Errorf("cannot parse redis url: scheme %q is not redis or rediss", u.Scheme)
	}
	if u.Hostname() == "" {
		return Config{}, fmt.Errorf("cannot parse redis url: no host")
	}
	cfg := Config{Addr: u.Host}
	if u.Port() == "" {
		cfg.Addr = net.JoinHostPort(u.Hostname(), "6379")
	}
	if p, ok := u.User.Password(); ok {
		cfg.Password = p
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		n, err := strconv.Atoi(db)
		if err != nil || n < 0 {
			return Config{}, fmt.Errorf("cannot parse redis url: db %q is not a number >= 0", db)
		}
		cfg.DB = n
	}
	if u.Scheme == "rediss" {
		cfg.TLS = &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}
	}
	return cfg, nil
}

// ParseClusterAddrs reads a REDIS_CLUSTER_ADDRS: a comma list of the
// seed nodes of a Redis Cluster, each host:port or a redis:// (rediss://)
// URL as ParseURL takes it. URLs give the password and TLS; when several
// do, they must agree, and a db other than 0 is refused (a cluster has
// only db 0). It answers a Config with Cluster set and Addr the first
// seed.
func ParseClusterAddrs(s string) (Config, error) {
	var cfg Config
	first, haveURL := true, false
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		var node Config
		if strings.Contains(item, "://") {
			n, err := ParseURL(item)
			if err != nil {
				return Config{}, err
			}
			if n.DB != 0 {
				return Config{}, fmt.Errorf("cannot parse redis cluster address %q: a cluster has only db 0", item)
			}
			node = n
		} else {
			host, port, err := net.SplitHostPort(item)
			if err != nil || host == "" {
				return Config{}, fmt.Errorf("cannot parse redis cluster address %q: want host:port or redis://host:port", item)
			}
			if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
				return Config{}, fmt.Errorf("cannot parse redis cluster address %q: port %q is not 1-65535", item, port)
			}
			node.Addr = item
		}
		if strings.Contains(item, "://") {
			if haveURL && (node.Password != cfg.Password || (node.TLS != nil) != (cfg.TLS != nil)) {
				return Config{}, fmt.Errorf("cannot parse redis cluster addresses: %q disagrees with the other URLs on password or TLS", item)
			}
			cfg.Password, cfg.TLS, haveURL = node.Password, node.TLS, true
		}
		if first {
			cfg.Addr = node.Addr
		}
		first = false
		cfg.Cluster = append(cfg.Cluster, node.Addr)
	}
	if len(cfg.Cluster) == 0 {
		return Config{}, fmt.Errorf("cannot parse redis cluster addresses: none given")
	}
	return cfg, nil
}
