package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/tracing"
)

// client is a rueidis.Client with its client-side cache at hand.
type client struct {
	rueidis.Client
	local *localCache // nil when DisableLocalCache
}

// NewClient connects to cfg's Redis with client-side caching (RESP3
// tracking, OPTIN) on, retries off (this package fails fast and lets the
// caller decide), each caller's wait bounded by cfg.ReadTimeout, a silent
// connection closed after DeadAfter(cfg.ReadTimeout), and connection attempts
// by cfg.DialTimeout. It answers an error coded EUNAVAILABLE when Redis does
// not answer a PING now: asking for Redis and not getting it must stop
// start-up, never fall back silently. Close the client when done.
func NewClient(cfg Config) (rueidis.Client, error) {
	cfg = cfg.withDefaults()
	var local *localCache
	if !cfg.DisableLocalCache {
		local = newLocalCache(cfg.LocalCacheBytes, cacheKeyPrefix(cfg))
	}
	rc, err := rueidis.NewClient(clientOption(cfg, local))
	if err != nil {
		return nil, unavailable(fmt.Sprintf("cannot connect to redis at %s", cfg.target()), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.DialTimeout+cfg.ReadTimeout)
	defer cancel()
	if err := rc.Do(ctx, rc.B().Ping().Build()).Error(); err != nil {
		rc.Close()
		return nil, unavailable(fmt.Sprintf("cannot ping redis at %s", cfg.target()), err)
	}
	if len(cfg.Cluster) > 0 && rc.Mode() != rueidis.ClientModeCluster {
		rc.Close()
		return nil, unavailable(fmt.Sprintf("redis at %s is not a cluster", cfg.target()), errors.New("cluster support disabled on the server"))
	}
	if tracing.Enabled() {
		rc = tracedClient{rc}
	}
	return &client{Client: rc, local: local}, nil
}

// target names cfg's Redis in messages.
func (c Config) target() string {
	if len(c.Cluster) > 0 {
		return "cluster " + strings.Join(c.Cluster, ",")
	}
	return c.Addr
}

// isCluster reports whether rc routes by slot (a command must not touch
// keys of several slots).
func isCluster(rc rueidis.Client) bool { return rc.Mode() == rueidis.ClientModeCluster }

func clientOption(cfg Config, local *localCache) rueidis.ClientOption {
	opt := rueidis.ClientOption{
		InitAddress:       []string{cfg.Addr},
		Password:          cfg.Password,
		SelectDB:          cfg.DB,
		ClientName:        "echosenseix",
		ForceSingleClient: true,
		Dialer:            net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: time.Second},
		// Callers are bounded by ReadTimeout through their contexts; the
		// connection (and the client-side entries it filled) is given up
		// only after DeadAfter of silence (see DeadAfter).
		ConnWriteTimeout:    DeadAfter(cfg.ReadTimeout),
		DisableRetry:        true,
		DisableCache:        cfg.DisableLocalCache,
		BlockingPoolSize:    64,
		ReadBufferEachConn:  64 << 10,
		WriteBufferEachConn: 64 << 10,
		TLSConfig:           cfg.TLS,
	}
	if len(cfg.Cluster) > 0 {
		// One connection set per node; each node's invalidations reach
		// the connStore of the connection that read the key, so the
		// client-side cache works per node. Replicas are not read.
		opt.InitAddress, opt.ShuffleInit = cfg.Cluster, true
		opt.ForceSingleClient, opt.SelectDB = false, 0
	}
	if local != nil {
		opt.NewCacheStoreFn = func(rueidis.CacheStoreOption) rueidis.CacheStore { return local.store() }
	}
	return opt
}

// cacheKeyPrefix is the prefix of the Cache's keys.
func cacheKeyPrefix(cfg Config) string { return cfg.Prefix + "cache:" }

// localCacheOf returns the client-side cache of a client made by NewClient,
// or nil.
func localCacheOf(c rueidis.Client) *localCache {
	if cl, ok := c.(*client); ok {
		return cl.local
	}
	return nil
}

// unavailable codes err as EUNAVAILABLE with a client-safe message.
func unavailable(msg string, err error) error {
	return server.WrapError(server.EUNAVAILABLE, msg, err)
}
