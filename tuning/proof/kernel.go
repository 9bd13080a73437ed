package proof

import (
	"context"
	"fmt"
	"os"

	"github.com/echosenseix/echosenseix/loadtests/netns"
	"github.com/echosenseix/echosenseix/loadtests/tunecli"
)

// Profiles compared.
const (
	Defaults = "defaults"
	Tuned    = "tuned"
)

// KernelResult is every burst of the kernel comparison.
type KernelResult struct {
	Config  BurstConfig   `json:"config"`
	Applied string        `json:"applied"` // how the tuned namespace was set
	Bursts  []BurstResult `json:"bursts"`  // both profiles each round, which first alternating
	// NetdevMaxBacklog is the host's (global) net.core.netdev_max_backlog.
	NetdevMaxBacklog string `json:"netdevMaxBacklog"`
}

// Kernel runs rounds bursts per profile, alternating (see order), each in a fresh
// namespace removed right after.
func Kernel(ctx context.Context, cfg BurstConfig, rounds int, tool tunecli.Tool, tier string) (KernelResult, error) {
	kr := KernelResult{Config: cfg, NetdevMaxBacklog: ReadProc("/proc/sys/net/core/netdev_max_backlog")}
	for r := 0; r < rounds; r++ {
		for _, profile := range order(r) {
			res, applied, err := burstIn(ctx, cfg, profile, tool, tier)
			if err != nil {
				return kr, err
			}
			if profile == Tuned {
				kr.Applied = applied
			}
			kr.Bursts = append(kr.Bursts, res)
			fmt.Fprintf(os.Stderr, "tuning-proof: kernel %s round %d: errors %d, overflows %d, p99 %.1f ms\n",
				profile, r+1, res.Errors, res.ListenOverflows, res.P99Ms)
		}
	}
	return kr, nil
}

func burstIn(ctx context.Context, cfg BurstConfig, profile string, tool tunecli.Tool, tier string) (BurstResult, string, error) {
	ns, err := netns.New(ctx, "es-proof")
	if err != nil {
		return BurstResult{}, "", err
	}
	defer ns.Close()
	applied := "nothing (the kernel's defaults)"
	if profile == Tuned {
		if applied, err = tool.ApplyNetIn(ctx, ns, tier); err != nil {
			return BurstResult{}, "", err
		}
	}
	res, err := RunBurst(ctx, ns, profile, cfg)
	return res, applied, err
}
