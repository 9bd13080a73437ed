package redis

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bytedance/sonic"
	"github.com/redis/rueidis"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/fanout"
)

var (
	_ server.Bus    = (*Bus)(nil)
	_ server.Pinger = (*Bus)(nil)
)

// eventJSON encodes and decodes events on the channel: sonic with
// encoding/json's behaviour (HTML escaping, compacted Data), so the bytes on
// the channel are the ones encoding/json wrote, at a fraction of its CPU
// (one encode and one decode per landed call).
var eventJSON = sonic.ConfigStd

// Bus settings.
const (
	// busBuffer bounds the messages received but not yet delivered; past
	// it, messages are dropped (counted) rather than stall the connection.
	busBuffer = 4096
	// busRetryMin and busRetryMax bound the wait between resubscriptions
	// after the subscription connection broke.
	busRetryMin = 50 * time.Millisecond
	busRetryMax = time.Second
)

// Bus is a server.Bus over Redis pub/sub on the channel prefix+"events";
// on a Redis Cluster over sharded pub/sub (SPUBLISH, SSUBSCRIBE), so that
// every event of the channel goes through the one master of its slot, in
// order (plain PUBLISH enters the cluster at any node and is forwarded to
// all, so two publishes may arrive swapped), and a publish does not reach
// every node.
// Each Bus keeps one subscription (one receive loop) and fans messages out
// to its local subscribers on one delivery goroutine; it resubscribes on its
// own after Redis restarts. Events published while the subscription is down
// are lost (pub/sub is at most once).
type Bus struct {
	rc      rueidis.Client
	channel string
	sharded bool          // SPUBLISH/SSUBSCRIBE: on a cluster
	timeout time.Duration // per publish
	br      breaker
	log     *slog.Logger

	subs fanout.List

	msgs      chan string
	dropped   atomic.Uint64
	connected atomic.Bool
	cancel    context.CancelFunc
	done      sync.WaitGroup
}

// NewBus subscribes to cfg's events channel on rc and waits (up to
// DialTimeout+ReadTimeout) until Redis confirms the subscription, so an
// event published after NewBus returns reaches this Bus. log may be nil.
// Close the Bus when done.
func NewBus(rc rueidis.Client, cfg Config, log *slog.Logger) (*Bus, error) {
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &Bus{rc: rc, channel: cfg.Prefix + "events", sharded: isCluster(rc), timeout: cfg.ReadTimeout, log: log, msgs: make(chan string, busBuffer), cancel: cancel}
	ready := make(chan struct{})
	b.done.Add(2)
	go b.receive(ctx, ready)
	go b.deliver()
	select {
	case <-ready:
		return b, nil
	case <-time.After(cfg.DialTimeout + cfg.ReadTimeout):
		b.Close()
		return nil, unavailable("event bus unavailable", fmt.Errorf("cannot subscribe to %s: no confirmation in time", b.channel))
	}
}

// receive keeps one subscription alive until ctx ends.
func (b *Bus) receive(ctx context.Context, ready chan struct{}) {
	defer b.done.Done()
	defer close(b.msgs)
	var once sync.Once
	hook := rueidis.WithOnSubscriptionHook(ctx, func(s rueidis.PubSubSubscription) {
		if s.Kind == "subscribe" || s.Kind == "ssubscribe" {
			b.connected.Store(true)
			once.Do(func() { close(ready) })
		}
	})
	wait := busRetryMin
	for {
		start := time.Now()
		sub := b.rc.B().Subscribe().Channel(b.channel).Build()
		if b.sharded {
			sub = b.rc.B().Ssubscribe().Channel(b.channel).Build()
		}
		err := b.rc.Receive(hook, sub, func(m rueidis.PubSubMessage) {
			select {
			case b.msgs <- m.Message:
			default:
				b.dropped.Add(1)
			}
		})
		b.connected.Store(false)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > busRetryMax {
			wait = busRetryMin // it had been up: retry at once
		}
		b.log.Warn("event bus subscription lost; resubscribing", "channel", b.channel, "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, busRetryMax)
	}
}

// deliver decodes messages and calls the subscribers, in order.
func (b *Bus) deliver() {
	defer b.done.Done()
	for m := range b.msgs {
		var ev server.Event
		if err := eventJSON.UnmarshalFromString(m, &ev); err != nil {
			b.log.Warn("event bus: cannot decode event", "err", err)
			continue
		}
		b.subs.Deliver(ev)
	}
}

// Publish sends ev to every Bus on the channel, this one included.
func (b *Bus) Publish(ctx context.Context, ev server.Event) error {
	if !b.br.allow() {
		return unavailable("event bus unavailable", errBreakerOpen)
	}
	if ev.Timestamp.IsZero() {
		ev.Timestamp = time.Now().UTC()
	}
	data, err := eventJSON.Marshal(ev)
	if err != nil {
		return fmt.Errorf("cannot encode event: %w", err)
	}
	cmd := b.rc.B().Publish().Channel(b.channel).Message(rueidis.BinaryString(data)).Build()
	if b.sharded {
		cmd = b.rc.B().Spublish().Channel(b.channel).Message(rueidis.BinaryString(data)).Build()
	}
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	if err := b.rc.Do(ctx, cmd).Error(); err != nil {
		return classify(&b.br, "event bus", "publish", err)
	}
	b.br.record(nil)
	return nil
}

// Subscribe registers fn for every event from now on; cancel stops it.
func (b *Bus) Subscribe(fn func(server.Event)) (cancel func()) { return b.subs.Add(fn) }

// Connected reports whether the subscription is up now.
func (b *Bus) Connected() bool { return b.connected.Load() }

// Dropped counts messages dropped because subscribers fell behind.
func (b *Bus) Dropped() uint64 { return b.dropped.Load() }

// Ping checks Redis and that the subscription is up.
func (b *Bus) Ping(ctx context.Context) error {
	if err := ping(ctx, b.rc, &b.br); err != nil {
		return err
	}
	if !b.connected.Load() {
		return unavailable("event bus unavailable", fmt.Errorf("cannot ping event bus: subscription to %s is down", b.channel))
	}
	return nil
}

// Close ends the subscription and the delivery goroutine. It does not close
// the client.
func (b *Bus) Close() {
	b.cancel()
	b.done.Wait()
}
