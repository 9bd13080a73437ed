package main

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/rueidis"

	"github.com/echosenseix/echosenseix/tuning"
)

// connect opens Postgres and Redis when the plan has their settings.
// required (check): the URL must be set. A URL that cannot be parsed or
// reached is bad usage either way.
func connect(ctx context.Context, pl tuning.Plan, getenv func(string) string, required bool) (tuning.System, func(), error) {
	var needPG, needRedis bool
	for _, it := range pl.Items {
		needPG = needPG || it.Kind == tuning.KindPostgres
		needRedis = needRedis || it.Kind == tuning.KindRedis
	}
	return open(ctx, getenv, needPG, needRedis, required)
}

// connectForRevert opens Postgres or Redis only when the backup under dest
// has values for it and its URL is set: a net-only revert inside a network
// namespace must not need a database it cannot reach.
func connectForRevert(ctx context.Context, dest string, getenv func(string) string) (tuning.System, func(), error) {
	pg, rd, err := tuning.BackupNeeds(dest)
	if err != nil {
		return tuning.System{}, func() {}, err
	}
	return open(ctx, getenv, pg && getenv("DATABASE_URL") != "", rd && getenv("REDIS_URL") != "", false)
}

func open(ctx context.Context, getenv func(string) string, needPG, needRedis, required bool) (tuning.System, func(), error) {
	var sys tuning.System
	closeAll := func() {
		if sys.Postgres != nil {
			_ = sys.Postgres.Close(context.Background())
		}
		if sys.Redis != nil {
			sys.Redis.Close()
		}
	}
	if needPG {
		c, err := openPostgres(ctx, getenv("DATABASE_URL"), required)
		if err != nil {
			return sys, closeAll, err
		}
		sys.Postgres = c
	}
	if needRedis {
		r, err := openRedis(getenv("REDIS_URL"), required)
		if err != nil {
			closeAll()
			return sys, func() {}, err
		}
		sys.Redis = r
	}
	return sys, closeAll, nil
}

func openPostgres(ctx context.Context, url string, required bool) (*pgx.Conn, error) {
	if url == "" {
		if required {
			return nil, bad("DATABASE_URL is not set: the postgres settings are read over it")
		}
		return nil, nil
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, bad("cannot parse DATABASE_URL: %v", err)
	}
	cfg.ConnectTimeout = 5 * time.Second
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, bad("cannot connect to DATABASE_URL: %v", err)
	}
	return c, nil
}

func openRedis(url string, required bool) (rueidis.Client, error) {
	if url == "" {
		if required {
			return nil, bad("REDIS_URL is not set: the redis settings are read over it")
		}
		return nil, nil
	}
	opt, err := rueidis.ParseURL(url)
	if err != nil {
		return nil, bad("cannot parse REDIS_URL: %v", err)
	}
	opt.DisableCache = true
	opt.Dialer.Timeout = 5 * time.Second
	c, err := rueidis.NewClient(opt)
	if err != nil {
		return nil, bad("cannot connect to REDIS_URL: %v", err)
	}
	return c, nil
}
