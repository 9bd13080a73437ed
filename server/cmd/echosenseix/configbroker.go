package main

import (
	"net/url"
	"os"
	"strconv"
	"strings"
)

// BusConfig is the event bus provider.
type BusConfig struct {
	// BUS_PROVIDER, default auto: redis when Redis is in use, else memory.
	Provider string `env:"BUS_PROVIDER" envDefault:"auto" unit:"auto|memory|redis|nats" doc:"realtime event bus: auto is redis when REDIS_URL or a redis provider is set, else memory (one process); redis is pub/sub (at most once); nats is JetStream on NATS_URL (at least once: a restarted instance is handed what it missed, repeats dropped by event id)"`
	// NATS_URL, default the local server.
	NATSURL string `env:"NATS_URL" envDefault:"nats://127.0.0.1:4222" unit:"url" doc:"nats:// (or tls://) URL of the NATS server, JetStream enabled, of BUS_PROVIDER=nats; a comma-separated list for a cluster"`
	// BUS_INSTANCE, default "" (the host name).
	Instance string `env:"BUS_INSTANCE" envDefault:"" unit:"name" doc:"this instance's durable consumer on the NATS stream (BUS_PROVIDER=nats): stable across restarts, unique among instances; empty is the host name; a cluster worker appends -w<slot>"`
}

func (c *Config) brokerRules() []rule {
	return []rule{
		{"RABBITMQ_URL", redactURL(c.Queue.RabbitMQURL), validURLList(c.Queue.RabbitMQURL, false, "amqp", "amqps"), "amqp://user:password@host:port/vhost (or amqps://)"},
		{"BUS_PROVIDER", c.Bus.Provider, oneOf(c.Bus.Provider, "auto", "memory", "redis", "nats"), "auto, memory, redis or nats"},
		{"NATS_URL", redactURL(c.Bus.NATSURL), validURLList(c.Bus.NATSURL, true, "nats", "tls"), "nats://host:port (or tls://), comma-separated for a cluster"},
		{"BUS_INSTANCE", c.Bus.Instance, c.Bus.Instance == "" || validInstance(c.Bus.Instance), "empty or up to 64 letters, digits, _ or -"},
	}
}

// validURLList accepts one URL (or, with list, comma-separated URLs) with
// a host and one of schemes.
func validURLList(s string, list bool, schemes ...string) bool {
	parts := []string{s}
	if list {
		parts = strings.Split(s, ",")
	}
	for _, p := range parts {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil || u.Host == "" || !oneOf(u.Scheme, schemes...) {
			return false
		}
	}
	return true
}

func validInstance(s string) bool {
	return len(s) <= 64 && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == "" && s != ""
}

// busInstance is this process's consumer name: BUS_INSTANCE or the host
// name (other characters as _), with -w<slot> in a cluster worker.
func (c *Config) busInstance(slot int) string {
	name := c.Bus.Instance
	if name == "" {
		h, _ := os.Hostname()
		name = strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
				return r
			}
			return '_'
		}, h)
		if name == "" {
			name = "instance"
		}
		name = name[:min(len(name), 56)]
	}
	if slot >= 0 {
		name += "-w" + strconv.Itoa(slot)
	}
	return name
}
