package stack

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"
)

// RedisCluster is a private Redis Cluster of local redis-server processes
// on free ports: Masters masters, each with Replicas replicas, made by
// `redis-cli --cluster create`. Its nodes keep their cluster state
// (nodes.conf) in a temp dir, so a node killed with Stop rejoins when
// started again.
type RedisCluster struct {
	Nodes []*RedisServer // every node, in creation order
	dir   string
}

// Addrs returns the addresses of every node (the seed list of a client).
func (c *RedisCluster) Addrs() []string {
	addrs := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		addrs[i] = n.Addr
	}
	return addrs
}

var (
	clusterOnce sync.Once
	clusterBase *RedisCluster
	clusterErr  error
)

// RedisClusterBase returns this process's shared Redis Cluster (3 masters,
// 1 replica each), started on first use from the local redis-server and
// redis-cli and stopped by StopAll.
func RedisClusterBase() (*RedisCluster, error) {
	clusterOnce.Do(func() {
		clusterBase, clusterErr = startRedisCluster(3, 1)
		if clusterErr == nil {
			stops = append(stops, clusterBase.Stop)
		}
	})
	return clusterBase, clusterErr
}

// NewRedisClusterPrefix returns the shared Redis Cluster with a fresh key
// prefix for tb (Redis.Cluster holds the seed addresses; Addr is one of
// them); the prefix's keys are deleted on every master when tb ends.
func NewRedisClusterPrefix(tb testing.TB) Redis {
	tb.Helper()
	c, err := RedisClusterBase()
	if err != nil {
		Unavailable(tb, "redis cluster", err.Error())
	}
	r := Redis{Addr: c.Nodes[0].Addr, Cluster: c.Addrs(), Prefix: "es_test_" + randomHex(4) + ":"}
	tb.Cleanup(func() {
		if err := r.DeletePrefix(); err != nil {
			tb.Log(err)
		}
	})
	return r
}

// NewRedisCluster starts a private Redis Cluster of masters masters with
// replicas replicas each, stopped when tb ends. Use it for tests that fail
// nodes over or kill them.
func NewRedisCluster(tb testing.TB, masters, replicas int) *RedisCluster {
	tb.Helper()
	c, err := startRedisCluster(masters, replicas)
	if err != nil {
		Unavailable(tb, "redis cluster", err.Error())
	}
	tb.Cleanup(c.Stop)
	return c
}

func startRedisCluster(masters, replicas int) (*RedisCluster, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, fmt.Errorf("no redis-server binary (Debian package redis-server)")
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		return nil, fmt.Errorf("no redis-cli binary (Debian package redis-tools)")
	}
	dir, err := os.MkdirTemp("", "es-redis-cluster-")
	if err != nil {
		return nil, err
	}
	c := &RedisCluster{dir: dir}
	for range masters * (1 + replicas) {
		port := freePort()
		s := &RedisServer{Addr: "127.0.0.1:" + itoa(port), port: port, extra: []string{
			"--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(dir, "nodes-"+itoa(port)+".conf"),
			"--cluster-node-timeout", "1000",
			"--dir", dir,
		}}
		c.Nodes = append(c.Nodes, s)
		if err := s.Start(); err != nil {
			c.Stop()
			return nil, err
		}
	}
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", itoa(replicas), "--cluster-yes")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		c.Stop()
		return nil, fmt.Errorf("redis-cli --cluster create: %v: %s", err, out)
	}
	if err := c.WaitHealthy(30 * time.Second); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// Stop kills every node and removes the cluster's files.
func (c *RedisCluster) Stop() {
	for _, n := range c.Nodes {
		n.Stop()
	}
	_ = os.RemoveAll(c.dir)
}

// nodeClient is a plain client of one node (no cluster routing).
func nodeClient(addr string) (rueidis.Client, error) {
	return rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true, ForceSingleClient: true})
}

// nodeDo runs one command on the node at addr and answers its text.
func nodeDo(addr string, cmd ...string) (string, error) {
	rc, err := nodeClient(addr)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	m, err := rc.Do(ctx, rc.B().Arbitrary(cmd...).Build()).ToMessage()
	if err != nil {
		return "", err
	}
	if n, err := m.AsInt64(); err == nil {
		return strconv.FormatInt(n, 10), nil
	}
	text, err := m.ToString()
	return strings.TrimPrefix(text, "txt:"), err // a RESP3 verbatim string
}

// clusterNode is one line of CLUSTER NODES.
type clusterNode struct {
	id, addr, masterID string
	master, failed     bool
	slots              bool     // serves at least one slot
	ranges             []string // its slot ranges, "lo-hi" or "n"
}

func clusterNodes(addr string) ([]clusterNode, error) {
	out, err := nodeDo(addr, "CLUSTER", "NODES")
	if err != nil {
		return nil, fmt.Errorf("cannot read CLUSTER NODES of %s: %w", addr, err)
	}
	var nodes []clusterNode
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		n := clusterNode{id: f[0], addr: strings.SplitN(f[1], "@", 2)[0], masterID: f[3], slots: len(f) > 8, ranges: f[8:]}
		n.master = strings.Contains(f[2], "master")
		n.failed = strings.Contains(f[2], "fail")
		nodes = append(nodes, n)
	}
	return nodes, nil
}

// WaitHealthy waits until every running node reports cluster_state:ok and
// agrees on which nodes are the masters serving slots, and sees every
// other running node as a replica of one of them, failing after timeout.
func (c *RedisCluster) WaitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if last = c.healthy(); last == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("redis cluster not healthy within %v: %w", timeout, last)
}

func (c *RedisCluster) healthy() error {
	var want string
	for _, n := range c.Nodes {
		if !n.Running() {
			continue
		}
		info, err := nodeDo(n.Addr, "CLUSTER", "INFO")
		if err != nil {
			return err
		}
		if !strings.Contains(info, "cluster_state:ok") {
			return fmt.Errorf("%s: cluster_state is not ok", n.Addr)
		}
		nodes, err := clusterNodes(n.Addr)
		if err != nil {
			return err
		}
		var masters []string
		serving := map[string]bool{}
		for _, cn := range nodes {
			if cn.master && cn.slots {
				if cn.failed {
					return fmt.Errorf("%s sees master %s failed", n.Addr, cn.addr)
				}
				masters = append(masters, cn.addr)
				serving[cn.id] = true
			}
		}
		for _, cn := range nodes {
			if r := c.node(cn.addr); r != nil && r.Running() && !serving[cn.id] && (cn.failed || !serving[cn.masterID]) {
				return fmt.Errorf("%s does not see %s as a replica of a serving master", n.Addr, cn.addr)
			}
		}
		slices.Sort(masters)
		got := strings.Join(masters, ",")
		if want == "" {
			want = got
		} else if got != want {
			return fmt.Errorf("nodes disagree on the masters: %s vs %s", got, want)
		}
	}
	return nil
}

// MasterOf answers the node serving key's slot now (read from the slot
// ranges of CLUSTER NODES), and one of its running replicas (nil when it
// has none).
func (c *RedisCluster) MasterOf(key string) (master, replica *RedisServer, err error) {
	var seed string
	for _, n := range c.Nodes {
		if n.Running() {
			seed = n.Addr
			break
		}
	}
	slotText, err := nodeDo(seed, "CLUSTER", "KEYSLOT", key)
	if err != nil {
		return nil, nil, err
	}
	slot := atoiOr(slotText, -1)
	nodes, err := clusterNodes(seed)
	if err != nil {
		return nil, nil, err
	}
	var masterID string
	for _, n := range nodes {
		if !n.master || n.failed {
			continue
		}
		for _, r := range n.ranges {
			lo, hi, ok := strings.Cut(r, "-")
			if !ok {
				hi = lo
			}
			if a, b := atoiOr(lo, -2), atoiOr(hi, -2); a <= slot && slot <= b {
				masterID = n.id
			}
		}
	}
	for _, n := range nodes {
		if n.id == masterID {
			master = c.node(n.addr)
		}
		if n.masterID == masterID && !n.master && !n.failed && replica == nil {
			if r := c.node(n.addr); r != nil && r.Running() {
				replica = r
			}
		}
	}
	if master == nil {
		return nil, nil, fmt.Errorf("no master serves slot %d of %q", slot, key)
	}
	return master, replica, nil
}

func (c *RedisCluster) node(addr string) *RedisServer {
	for _, n := range c.Nodes {
		if n.Addr == addr {
			return n
		}
	}
	return nil
}

func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}

// Failover moves key's slot to a replica of its master with CLUSTER
// FAILOVER (the replica catches up first, so no acknowledged write is
// lost) and waits until every node agrees; it answers the new master.
func (c *RedisCluster) Failover(key string) (*RedisServer, error) {
	master, replica, err := c.MasterOf(key)
	if err != nil {
		return nil, err
	}
	if replica == nil {
		return nil, fmt.Errorf("master %s of %q has no running replica", master.Addr, key)
	}
	if _, err := nodeDo(replica.Addr, "CLUSTER", "FAILOVER"); err != nil {
		return nil, fmt.Errorf("CLUSTER FAILOVER on %s: %w", replica.Addr, err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if m, _, err := c.MasterOf(key); err == nil && m == replica && c.healthy() == nil {
			return replica, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil, fmt.Errorf("failover of %s to %s did not complete within 15s", master.Addr, replica.Addr)
}
