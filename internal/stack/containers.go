package stack

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"
	tcredis "github.com/testcontainers/testcontainers-go/modules/redis"
)

// Images of the containers, the versions CI installs from Debian.
const (
	PostgresImage = "postgres:15-alpine"
	RedisImage    = "redis:7-alpine"
)

// containerStart bounds pulling and starting one container.
const containerStart = 3 * time.Minute

// startPostgresContainer runs Postgres in a container for the whole test
// binary (removed by StopAll) and answers its admin DSN.
func startPostgresContainer() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), containerStart)
	defer cancel()
	c, err := tcpostgres.Run(ctx, PostgresImage,
		tcpostgres.WithDatabase("postgres"), tcpostgres.WithUsername("postgres"), tcpostgres.WithPassword("postgres"),
		tcpostgres.BasicWaitStrategies(),
		testcontainers.WithCmdArgs("-c", "fsync=off", "-c", "max_connections=300"))
	if err != nil {
		if c != nil {
			_ = testcontainers.TerminateContainer(c)
		}
		return "", fmt.Errorf("cannot start a postgres container: %w", err)
	}
	stops = append(stops, func() { _ = testcontainers.TerminateContainer(c) })
	dsn, err := c.ConnectionString(ctx, "sslmode=disable")
	if err != nil {
		return "", fmt.Errorf("cannot read the postgres container's address: %w", err)
	}
	return dsn, nil
}

// startRedisContainer runs Redis in a container for the whole test binary
// and answers its address.
func startRedisContainer() (Redis, error) {
	ctx, cancel := context.WithTimeout(context.Background(), containerStart)
	defer cancel()
	c, err := tcredis.Run(ctx, RedisImage)
	if err != nil {
		if c != nil {
			_ = testcontainers.TerminateContainer(c)
		}
		return Redis{}, fmt.Errorf("cannot start a redis container: %w", err)
	}
	stops = append(stops, func() { _ = testcontainers.TerminateContainer(c) })
	u, err := c.ConnectionString(ctx)
	if err != nil {
		return Redis{}, fmt.Errorf("cannot read the redis container's address: %w", err)
	}
	if !strings.HasPrefix(u, "redis://") {
		return Redis{}, fmt.Errorf("redis container answered address %q", u)
	}
	return parseRedisURL(u)
}
