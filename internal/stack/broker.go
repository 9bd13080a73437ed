package stack

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Local default URLs of the brokers, used when RABBITMQ_URL / NATS_URL are
// unset.
const (
	DefaultRabbitMQURL = "amqp://guest:guest@127.0.0.1:5672/"
	DefaultNATSURL     = "nats://127.0.0.1:4222"
)

// RabbitMQ returns the URL of a real RabbitMQ (RABBITMQ_URL, else the local
// default port), or is Unavailable when nothing answers there. Callers
// isolate themselves by unique names (a prefix from UniqueName) and delete
// them.
func RabbitMQ(tb testing.TB) string {
	tb.Helper()
	return brokerURL(tb, "rabbitmq", "RABBITMQ_URL", DefaultRabbitMQURL)
}

// NATS returns the URL of a real NATS server with JetStream (NATS_URL, else
// the local default port), or is Unavailable when nothing answers there.
func NATS(tb testing.TB) string {
	tb.Helper()
	return brokerURL(tb, "nats", "NATS_URL", DefaultNATSURL)
}

func brokerURL(tb testing.TB, what, env, def string) string {
	tb.Helper()
	u := os.Getenv(env)
	if u == "" {
		u = def
	}
	p, err := url.Parse(u)
	if err != nil {
		Unavailable(tb, what, fmt.Sprintf("cannot parse %s: %v", env, err))
	}
	c, err := net.DialTimeout("tcp", p.Host, 2*time.Second)
	if err != nil {
		Unavailable(tb, what, fmt.Sprintf("nothing answers at %s (%s): %v", p.Host, env, err))
	}
	_ = c.Close()
	return u
}

// UniqueName returns base followed by a random suffix, for queue, stream
// and consumer names of one test.
func UniqueName(base string) string { return base + randomHex(4) }

// BrokerServer is a private broker process (rabbitmq-server or
// nats-server) on free ports with its data in a temp dir, for tests that
// kill and restart the broker. Its data survives Stop and Start.
type BrokerServer struct {
	URL  string
	name string
	dir  string
	cmd  func() *exec.Cmd
	wait time.Duration // bound of one start
	addr string

	mu   sync.Mutex
	proc *exec.Cmd
}

// NewRabbitMQServer starts a private rabbitmq-server node (its own node
// name, Mnesia dir, AMQP and distribution ports; no plugins), stopped when
// tb ends. It takes about 10-30 s to boot.
func NewRabbitMQServer(tb testing.TB) *BrokerServer {
	tb.Helper()
	Tool(tb, "rabbitmq-server", "rabbitmq-server")
	// The node script itself, not the wrapper that su's to the rabbitmq
	// user in a session of its own (out of reach of Stop's process-group
	// kill): as root, the process runs as the rabbitmq user directly.
	bin := "/usr/lib/rabbitmq/bin/rabbitmq-server"
	if _, err := os.Stat(bin); err != nil {
		Unavailable(tb, "rabbitmq-server", "no "+bin+": "+err.Error())
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("rabbitmq")
		if err != nil {
			Unavailable(tb, "rabbitmq-server", "no rabbitmq user: "+err.Error())
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	dir, err := os.MkdirTemp("", "es-rabbitmq-")
	if err != nil {
		tb.Fatal(err)
	}
	port, dist := freePort(), freePort()
	node := "es_test_" + randomHex(4) + "@localhost"
	plugins := filepath.Join(dir, "enabled_plugins")
	if err := os.WriteFile(plugins, []byte("[].\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	if os.Geteuid() == 0 { // the script drops to the rabbitmq user
		if out, err := exec.Command("chown", "-R", "rabbitmq:rabbitmq", dir).CombinedOutput(); err != nil {
			Unavailable(tb, "rabbitmq-server", fmt.Sprintf("cannot chown %s to rabbitmq: %v: %s", dir, err, out))
		}
	}
	s := &BrokerServer{
		URL: fmt.Sprintf("amqp://guest:guest@127.0.0.1:%d/", port), name: "rabbitmq-server", dir: dir,
		addr: "127.0.0.1:" + itoa(port), wait: 90 * time.Second,
	}
	s.cmd = func() *exec.Cmd {
		c := exec.Command(bin)
		c.Dir = dir
		c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
		c.Env = append(os.Environ(), "HOME=/var/lib/rabbitmq",
			"RABBITMQ_NODENAME="+node, "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1", "RABBITMQ_NODE_PORT="+itoa(port),
			"RABBITMQ_DIST_PORT="+itoa(dist), "RABBITMQ_MNESIA_BASE="+filepath.Join(dir, "mnesia"),
			"RABBITMQ_LOG_BASE="+filepath.Join(dir, "log"), "RABBITMQ_ENABLED_PLUGINS_FILE="+plugins,
			"RABBITMQ_CONFIG_FILE="+filepath.Join(dir, "none"), "RABBITMQ_PID_FILE="+filepath.Join(dir, "pid"))
		return c
	}
	s.start(tb)
	return s
}

// NewNATSServer starts a private nats-server with JetStream on a free port,
// stopped when tb ends.
func NewNATSServer(tb testing.TB) *BrokerServer {
	tb.Helper()
	bin := Tool(tb, "nats-server", "nats-server")
	dir, err := os.MkdirTemp("", "es-nats-")
	if err != nil {
		tb.Fatal(err)
	}
	port := freePort()
	s := &BrokerServer{URL: fmt.Sprintf("nats://127.0.0.1:%d", port), name: "nats-server", dir: dir,
		addr: "127.0.0.1:" + itoa(port), wait: 10 * time.Second}
	s.cmd = func() *exec.Cmd {
		return exec.Command(bin, "-a", "127.0.0.1", "-p", itoa(port), "-js", "-sd", filepath.Join(dir, "js"),
			"-l", filepath.Join(dir, "log"))
	}
	s.start(tb)
	return s
}

func (s *BrokerServer) start(tb testing.TB) {
	tb.Helper()
	tb.Cleanup(func() { s.Stop(); _ = os.RemoveAll(s.dir) })
	if err := s.Start(); err != nil {
		Unavailable(tb, s.name, err.Error())
	}
}

// Start (re)starts the broker on its ports and waits until it accepts
// connections.
func (s *BrokerServer) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cmd()
	if c.SysProcAttr == nil {
		c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	}
	out, err := os.OpenFile(filepath.Join(s.dir, "stdout"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	c.Stdout, c.Stderr = out, out
	if err := c.Start(); err != nil {
		return fmt.Errorf("cannot start %s: %w", s.name, err)
	}
	s.proc = c
	exited := make(chan struct{})
	go func() { _ = c.Wait(); close(exited) }()
	deadline := time.Now().Add(s.wait)
	for time.Now().Before(deadline) {
		if conn, err := net.DialTimeout("tcp", s.addr, time.Second); err == nil {
			_ = conn.Close()
			return nil
		}
		select {
		case <-exited:
			s.proc = nil
			log, _ := os.ReadFile(filepath.Join(s.dir, "stdout"))
			return fmt.Errorf("%s exited at start: %s", s.name, tail(log, 600))
		case <-time.After(100 * time.Millisecond):
		}
	}
	s.killLocked()
	return fmt.Errorf("%s on %s did not accept connections within %v", s.name, s.addr, s.wait)
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// Stop kills the broker and its children (SIGKILL to its process group:
// like a crash) and waits until its port is closed.
func (s *BrokerServer) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.killLocked()
}

func (s *BrokerServer) killLocked() {
	if s.proc == nil {
		return
	}
	_ = syscall.Kill(-s.proc.Process.Pid, syscall.SIGKILL)
	s.proc = nil
	for range 100 {
		c, err := net.DialTimeout("tcp", s.addr, 100*time.Millisecond)
		if err != nil {
			return
		}
		_ = c.Close()
		time.Sleep(50 * time.Millisecond)
	}
}
