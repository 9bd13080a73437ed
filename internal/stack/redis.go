package stack

import (
	"bufio"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/echosenseix/echosenseix/internal/pglocal"
)

// Redis is a real Redis for one caller: its address, password and DB, and a
// key prefix unique to the caller (use it for every key, queue and channel).
type Redis struct {
	Addr     string
	Password string
	DB       int
	Prefix   string
	// Cluster holds the seed addresses of a Redis Cluster (from
	// NewRedisClusterPrefix); empty for a single Redis.
	Cluster []string
}

var (
	redisOnce sync.Once
	redisBase Redis
	redisErr  error
)

// RedisBase returns the shared Redis: REDIS_URL, else REDIS_HOST/REDIS_PORT,
// else a throwaway redis-server for this process.
func RedisBase() (Redis, error) {
	redisOnce.Do(func() {
		if u := os.Getenv("REDIS_URL"); u != "" {
			redisBase, redisErr = parseRedisURL(u)
			return
		}
		if h := os.Getenv("REDIS_HOST"); h != "" {
			port := os.Getenv("REDIS_PORT")
			if port == "" {
				port = "6379"
			}
			db, _ := strconv.Atoi(os.Getenv("REDIS_DB"))
			redisBase = Redis{Addr: net.JoinHostPort(h, port), Password: os.Getenv("REDIS_PASSWORD"), DB: db}
			return
		}
		var srv *RedisServer
		srv, redisErr = startRedisServer()
		if redisErr == nil {
			redisBase = Redis{Addr: srv.Addr}
			stops = append(stops, srv.Stop)
		}
	})
	if redisErr == nil {
		redisErr = ping(redisBase)
	}
	return redisBase, redisErr
}

// NewRedis returns the shared Redis with a fresh key prefix for tb; the
// prefix's keys are deleted when tb ends.
func NewRedis(tb testing.TB) Redis {
	tb.Helper()
	r, err := RedisBase()
	if err != nil {
		Unavailable(tb, "redis", err.Error())
	}
	r.Prefix = "es_test_" + randomHex(4) + ":"
	tb.Cleanup(func() {
		if err := r.DeletePrefix(); err != nil {
			tb.Log(err)
		}
	})
	return r
}

// parseRedisURL reads REDIS_URL with rueidis' parser, the one the server's
// Redis settings use too.
func parseRedisURL(s string) (Redis, error) {
	opt, err := rueidis.ParseURL(s)
	if err != nil {
		return Redis{}, fmt.Errorf("cannot parse REDIS_URL: %w", err)
	}
	if opt.TLSConfig != nil {
		return Redis{}, fmt.Errorf("REDIS_URL %s: the test stack speaks plain TCP to Redis, not TLS", s)
	}
	return Redis{Addr: opt.InitAddress[0], Password: opt.Password, DB: opt.SelectDB}, nil
}

// URL is the redis:// URL of r (its prefix is not part of it).
func (r Redis) URL() string {
	u := url.URL{Scheme: "redis", Host: r.Addr, Path: "/" + strconv.Itoa(r.DB)}
	if r.Password != "" {
		u.User = url.UserPassword("", r.Password)
	}
	return u.String()
}

func ping(r Redis) error {
	c, err := net.DialTimeout("tcp", r.Addr, 2*time.Second)
	if err != nil {
		return fmt.Errorf("cannot reach redis at %s: %w", r.Addr, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	cmd := "PING\r\n"
	if r.Password != "" {
		cmd = fmt.Sprintf("AUTH %s\r\nPING\r\n", r.Password)
	}
	if _, err := c.Write([]byte(cmd)); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("cannot ping redis at %s: %w", r.Addr, err)
	}
	if !strings.HasPrefix(line, "+") {
		return fmt.Errorf("redis at %s answered %q", r.Addr, strings.TrimSpace(line))
	}
	return nil
}

// RedisServer is a private redis-server process, for tests that stop and
// restart Redis. It keeps nothing on disk.
type RedisServer struct {
	Addr  string
	port  int
	extra []string // more redis-server arguments (cluster mode)
	mu    sync.Mutex
	cmd   *exec.Cmd
}

// NewRedisServer starts a private redis-server on a free port, stopped when
// tb ends.
func NewRedisServer(tb testing.TB) *RedisServer {
	tb.Helper()
	s, err := startRedisServer()
	if err != nil {
		Unavailable(tb, "redis-server", err.Error())
	}
	tb.Cleanup(s.Stop)
	return s
}

func startRedisServer() (*RedisServer, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, fmt.Errorf("no REDIS_URL and no redis-server binary")
	}
	port, err := pglocal.FreePort()
	if err != nil {
		return nil, err
	}
	s := &RedisServer{Addr: "127.0.0.1:" + itoa(port), port: port}
	return s, s.Start()
}

// Start (re)starts the server on its port and waits until it answers PING.
func (s *RedisServer) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	args := append([]string{"--port", itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "no"}, s.extra...)
	cmd := exec.Command("redis-server", args...)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cannot start redis-server: %w", err)
	}
	s.cmd = cmd
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if ping(Redis{Addr: s.Addr}) == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("redis-server on %s did not answer within 5s", s.Addr)
}

// Running reports whether the server process was started and not stopped.
func (s *RedisServer) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}

// Stop kills the server (SIGKILL: like a crash) and waits for it to exit.
func (s *RedisServer) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}
