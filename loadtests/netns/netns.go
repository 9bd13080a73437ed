// Package netns makes and removes Linux network namespaces for load runs
// and proofs: a namespace with its loopback up, commands run inside it with
// `ip netns exec`, its per-namespace sysctls (net.*) set and read from
// inside, its nstat counters, and removal that leaves nothing behind. Load
// sent inside a namespace never leaves it, and sysctls set there do not
// touch the host: one machine can compare the kernel's defaults with a
// tuning profile side by side.
package netns

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// opTimeout bounds each ip(8) call.
const opTimeout = 10 * time.Second

// NS is one namespace made by New.
type NS struct {
	Name string
}

// Available reports why namespaces cannot be made here ("" when they can):
// root and ip(8) are needed.
func Available() string {
	if os.Geteuid() != 0 {
		return "network namespaces need root"
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return "network namespaces need ip (iproute2)"
	}
	return ""
}

// New adds a namespace named prefix-<random> and brings its loopback up.
func New(ctx context.Context, prefix string) (*NS, error) {
	if why := Available(); why != "" {
		return nil, errors.New("cannot add network namespace: " + why)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	n := &NS{Name: prefix + "-" + hex.EncodeToString(b)}
	if err := ipCmd(ctx, "netns", "add", n.Name); err != nil {
		return nil, fmt.Errorf("cannot add network namespace %s: %w", n.Name, err)
	}
	if err := ipCmd(ctx, "-n", n.Name, "link", "set", "lo", "up"); err != nil {
		_ = n.Close()
		return nil, fmt.Errorf("cannot bring up lo in %s: %w", n.Name, err)
	}
	return n, nil
}

func ipCmd(ctx context.Context, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Command is name args run inside the namespace (ip netns exec).
func (n *NS) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", n.Name, name}, args...)...)
}

// Exists reports whether the namespace is still listed.
func Exists(name string) bool {
	_, err := os.Stat("/run/netns/" + name)
	return err == nil
}

// Close kills what still runs inside the namespace (processes started in
// it by this program), then deletes it. Closing twice is harmless.
func (n *NS) Close() error {
	if !Exists(n.Name) {
		return nil
	}
	n.killInside()
	if err := ipCmd(context.Background(), "netns", "del", n.Name); err != nil {
		return fmt.Errorf("cannot delete network namespace %s: %w", n.Name, err)
	}
	return nil
}

// killInside sends SIGKILL to every pid left in the namespace and waits
// up to 5 s for them to go.
func (n *NS) killInside() {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		pids := n.pids()
		if len(pids) == 0 {
			return
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (n *NS) pids() []int {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", "netns", "pids", n.Name).Output()
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}
