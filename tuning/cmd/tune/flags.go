package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"

	"github.com/echosenseix/echosenseix/tuning"
)

// common are the flags every profile command takes.
type common struct {
	fs                                 *flag.FlagSet
	tier, role, ram, storage, redisUse string
	cpus, instances                    int
}

func newCommon(name string) *common {
	c := &common{fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	c.fs.SetOutput(io.Discard)
	c.fs.StringVar(&c.tier, "tier", "", "tier: 1k, 10k or 100k (required)")
	c.fs.StringVar(&c.role, "role", "", "role: app, postgres, redis or lb (required)")
	c.fs.StringVar(&c.ram, "ram", "", "RAM of the host, e.g. 16GiB (default: this host's)")
	c.fs.IntVar(&c.cpus, "cpus", 0, "CPUs of the host (default: this host's)")
	c.fs.StringVar(&c.storage, "storage", "", "ssd, nvme, san or hdd (default: detected)")
	c.fs.IntVar(&c.instances, "instances", 0, "server instances connecting to Postgres (default: the profile's)")
	c.fs.StringVar(&c.redisUse, "redis-use", "cache", "which Redis this is: cache (allkeys-lru) or queue (noeviction)")
	return c
}

func (c *common) parse(args []string) error {
	if err := c.fs.Parse(args); err != nil {
		return bad("%s: %v", c.fs.Name(), err)
	}
	if c.fs.NArg() > 0 {
		return bad("%s: unexpected argument %q", c.fs.Name(), c.fs.Arg(0))
	}
	if c.tier == "" || c.role == "" {
		return bad("%s: --tier and --role are required", c.fs.Name())
	}
	return nil
}

// plan loads the profile and resolves it for the host the flags describe.
func (c *common) plan(getenv func(string) string, part string) (tuning.Plan, error) {
	p, err := tuning.Load(c.tier, c.role)
	if err != nil {
		return tuning.Plan{}, err
	}
	h, err := c.host(getenv)
	if err != nil {
		return tuning.Plan{}, err
	}
	return tuning.NewPlan(p, h, part)
}

func (c *common) host(getenv func(string) string) (tuning.Host, error) {
	h, err := tuning.ThisHost()
	if err != nil {
		return h, err
	}
	c.fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "ram":
			h.RAM, err = tuning.ParseSize(c.ram)
		case "cpus":
			h.CPUs = c.cpus
		case "storage":
			h.Storage = c.storage
		}
	})
	if err != nil {
		return h, err
	}
	h.Instances, h.RedisUse = c.instances, c.redisUse
	if v := getenv("DATABASE_MAX_CONNECTIONS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return h, bad("DATABASE_MAX_CONNECTIONS=%q: want a positive number", v)
		}
		h.DBMaxConnections = n
	}
	return h, h.Validate()
}

func onlyFlag(fs *flag.FlagSet, p *string) {
	fs.StringVar(p, "only", "", "one part: net, sysctl, limits, postgres, redis or lb")
}

func describe(h tuning.Host) string {
	instances := "profile's"
	if h.Instances > 0 {
		instances = strconv.Itoa(h.Instances)
	}
	return fmt.Sprintf("ram=%dMiB cpus=%d storage=%s instances=%s", h.RAM>>20, h.CPUs, h.Storage, instances)
}
