package nats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	natsio "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/fanout"
)

var (
	_ server.Bus    = (*Bus)(nil)
	_ server.Pinger = (*Bus)(nil)
)

// Defaults applied to zero Config fields.
const (
	DefaultURL          = "nats://127.0.0.1:4222"
	DefaultPrefix       = "es"
	DefaultRetention    = 10 * time.Minute
	DefaultMaxEvents    = 1_000_000
	DefaultDuplicates   = 2 * time.Minute
	DefaultDedupeWindow = 65_536
	DefaultAckWait      = 5 * time.Second
	DefaultConsumerTTL  = 24 * time.Hour
	DefaultTimeout      = 2 * time.Second
)

// Config locates the server and names this instance.
type Config struct {
	// URL is the NATS URL (NATS_URL); default DefaultURL.
	URL string
	// Prefix names the stream, its subject and the consumers; instances
	// sharing a Prefix share the events. Default "es". Letters, digits, _
	// and - only.
	Prefix string
	// Instance names this instance's durable consumer: stable across its
	// restarts, unique among live instances. Required.
	Instance string
	// Retention is how long the stream keeps events (how long an instance
	// may be away and still be handed what it missed); default 10 min.
	Retention time.Duration
	// MaxEvents bounds the events the stream keeps; the oldest go first;
	// default 1,000,000.
	MaxEvents int64
	// Duplicates is the server's window for dropping a repeated
	// Nats-Msg-Id; default 2 min.
	Duplicates time.Duration
	// DedupeWindow is how many delivered event IDs this instance remembers
	// to drop repeats; default 65,536.
	DedupeWindow int
	// AckWait is how long the server waits for an acknowledgement before
	// handing an event again; default 30 s.
	AckWait time.Duration
	// ConsumerTTL deletes the consumer of an instance inactive that long;
	// default 24 h.
	ConsumerTTL time.Duration
	// Timeout bounds connecting and one publish; default 2 s.
	Timeout time.Duration
	// Logger receives warnings; nil discards them.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.URL == "" {
		c.URL = DefaultURL
	}
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.Retention <= 0 {
		c.Retention = DefaultRetention
	}
	if c.MaxEvents <= 0 {
		c.MaxEvents = DefaultMaxEvents
	}
	if c.Duplicates <= 0 {
		c.Duplicates = DefaultDuplicates
	}
	c.Duplicates = min(c.Duplicates, c.Retention)
	if c.DedupeWindow <= 0 {
		c.DedupeWindow = DefaultDedupeWindow
	}
	if c.AckWait <= 0 {
		c.AckWait = DefaultAckWait
	}
	if c.ConsumerTTL <= 0 {
		c.ConsumerTTL = DefaultConsumerTTL
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// validName reports whether s may be part of a stream or consumer name.
func validName(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}) < 0
}

// Bus is a server.Bus on NATS JetStream (see the package doc).
type Bus struct {
	cfg      Config
	nc       *natsio.Conn
	js       jetstream.JetStream
	stream   string
	subject  string
	consumer string
	seen     *lru.Cache[string, struct{}]

	subs fanout.List

	mu       sync.Mutex // guards started, consumed and closed
	started  bool
	consumed jetstream.ConsumeContext
	stop     chan struct{}
	done     chan struct{}
	closed   bool

	delivered  atomic.Uint64
	duplicates atomic.Uint64
}

// NewBus connects to cfg.URL and creates (or updates) the stream. It
// answers an error coded EUNAVAILABLE when the server cannot be reached.
// Delivery starts with the first Subscribe. Close the Bus when done.
func NewBus(cfg Config) (*Bus, error) {
	cfg = cfg.withDefaults()
	if !validName(cfg.Prefix) || !validName(cfg.Instance) {
		return nil, fmt.Errorf("nats bus: prefix %q and instance %q must be letters, digits, _ or -", cfg.Prefix, cfg.Instance)
	}
	nc, err := natsio.Connect(cfg.URL, natsio.Name(cfg.Prefix+"_"+cfg.Instance), natsio.Timeout(cfg.Timeout),
		natsio.MaxReconnects(-1), natsio.ReconnectWait(250*time.Millisecond),
		natsio.DisconnectErrHandler(func(_ *natsio.Conn, err error) {
			cfg.Logger.Warn("nats connection lost; reconnecting", "err", err)
		}),
		natsio.ReconnectHandler(func(*natsio.Conn) { cfg.Logger.Info("nats connection restored") }))
	if err != nil {
		return nil, unavailable(fmt.Errorf("cannot connect to nats: %w", err))
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("nats bus: %w", err)
	}
	seen, _ := lru.New[string, struct{}](cfg.DedupeWindow)
	b := &Bus{cfg: cfg, nc: nc, js: js, stream: cfg.Prefix + "_events", subject: cfg.Prefix + ".events",
		consumer: cfg.Prefix + "_" + cfg.Instance, seen: seen, stop: make(chan struct{}), done: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
	defer cancel()
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: b.stream, Subjects: []string{b.subject}, Storage: jetstream.FileStorage, Retention: jetstream.LimitsPolicy,
		MaxAge: cfg.Retention, MaxMsgs: cfg.MaxEvents, Discard: jetstream.DiscardOld, Duplicates: cfg.Duplicates,
	}); err != nil {
		nc.Close()
		return nil, unavailable(fmt.Errorf("cannot create stream %s: %w", b.stream, err))
	}
	return b, nil
}

func unavailable(err error) error {
	return server.WrapError(server.EUNAVAILABLE, "event bus unavailable", err)
}

// Publish stores ev in the stream (giving it an ID when it has none) and
// returns once the server acknowledged it.
func (b *Bus) Publish(ctx context.Context, ev server.Event) error {
	if b.nc.Status() != natsio.CONNECTED {
		return unavailable(fmt.Errorf("cannot publish event: nats connection %s", b.nc.Status()))
	}
	if ev.ID == "" {
		ev.ID = nuid.Next()
	}
	if ev.Timestamp.IsZero() {
		ev.Timestamp = time.Now().UTC()
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("cannot encode event: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	if _, err := b.js.Publish(ctx, b.subject, data, jetstream.WithMsgID(ev.ID)); err != nil {
		return unavailable(fmt.Errorf("cannot publish event: %w", err))
	}
	return nil
}

// Subscribe registers fn for every event from now on (and, on the first
// Subscribe of a restarted instance, the events it missed); cancel stops
// it. The first Subscribe starts this instance's consumer.
func (b *Bus) Subscribe(fn func(server.Event)) (cancel func()) {
	cancel = b.subs.Add(fn)
	b.mu.Lock()
	if !b.started && !b.closed {
		b.started = true
		go b.consume()
	}
	b.mu.Unlock()
	return cancel
}

// consume creates this instance's durable consumer (retrying until it
// can) and delivers from it until Close.
func (b *Bus) consume() {
	defer close(b.done)
	wait := 50 * time.Millisecond
	for {
		cc, err := b.startConsumer()
		if err == nil {
			b.mu.Lock()
			if b.closed {
				b.mu.Unlock()
				cc.Stop()
				return
			}
			b.consumed = cc
			b.mu.Unlock()
			<-b.stop
			return
		}
		b.cfg.Logger.Warn("cannot start the nats consumer; retrying", "consumer", b.consumer, "err", err, "in", wait)
		select {
		case <-b.stop:
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

func (b *Bus) startConsumer() (jetstream.ConsumeContext, error) {
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.Timeout)
	defer cancel()
	c, err := b.js.CreateOrUpdateConsumer(ctx, b.stream, jetstream.ConsumerConfig{
		Durable: b.consumer, DeliverPolicy: jetstream.DeliverNewPolicy, AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: b.cfg.AckWait, MaxDeliver: -1, InactiveThreshold: b.cfg.ConsumerTTL, FilterSubject: b.subject,
	})
	if err != nil {
		return nil, err
	}
	return c.Consume(b.handle, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		if !errors.Is(err, jetstream.ErrNoHeartbeat) {
			b.cfg.Logger.Warn("nats consumer", "consumer", b.consumer, "err", err)
		}
	}))
}

// handle delivers one message to the subscribers (once per event ID), then
// acknowledges it.
func (b *Bus) handle(m jetstream.Msg) {
	var ev server.Event
	if err := json.Unmarshal(m.Data(), &ev); err != nil {
		b.cfg.Logger.Warn("nats bus: cannot decode event", "err", err)
		_ = m.Term()
		return
	}
	if ev.ID != "" {
		if ok, _ := b.seen.ContainsOrAdd(ev.ID, struct{}{}); ok {
			b.duplicates.Add(1)
			_ = m.Ack()
			return
		}
	}
	b.subs.Deliver(ev)
	b.delivered.Add(1)
	if err := m.Ack(); err != nil {
		b.cfg.Logger.Warn("nats bus: cannot acknowledge event; it will come again", "id", ev.ID, "err", err)
	}
}

// Delivered counts the events handed to subscribers; Duplicates the
// repeats dropped by ID.
func (b *Bus) Delivered() uint64  { return b.delivered.Load() }
func (b *Bus) Duplicates() uint64 { return b.duplicates.Load() }

// Ping checks the connection to the server.
func (b *Bus) Ping(context.Context) error {
	if st := b.nc.Status(); st != natsio.CONNECTED {
		return unavailable(fmt.Errorf("nats connection %s", st))
	}
	return nil
}

// Close stops delivery and closes the connection; this instance's consumer
// stays on the server (with its position) for the next start. It may be
// called more than once.
func (b *Bus) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	started := b.started
	close(b.stop)
	b.mu.Unlock()
	if started {
		<-b.done
	}
	b.mu.Lock()
	cc := b.consumed
	b.mu.Unlock()
	if cc != nil {
		cc.Stop()
		<-cc.Closed()
	}
	b.nc.Close()
	return nil
}

// DeleteStream deletes the stream of cfg's Prefix and with it every
// instance's consumer: for tests and decommissioning.
func DeleteStream(cfg Config) error {
	cfg = cfg.withDefaults()
	nc, err := natsio.Connect(cfg.URL, natsio.Timeout(cfg.Timeout))
	if err != nil {
		return unavailable(fmt.Errorf("cannot connect to nats: %w", err))
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
	defer cancel()
	if err := js.DeleteStream(ctx, cfg.Prefix+"_events"); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("cannot delete stream: %w", err)
	}
	return nil
}
