package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/nats"
	"github.com/echosenseix/echosenseix/server/rabbitmq"
)

// TestServesOnRabbitMQAndNATS: with QUEUE_PROVIDER=rabbitmq and
// BUS_PROVIDER=nats two cluster workers start, /health reports the queue
// up, and an event published on the NATS stream by another instance
// reaches a WebSocket client of its organization, with its id.
func TestServesOnRabbitMQAndNATS(t *testing.T) {
	amqpURL, natsURL := stack.RabbitMQ(t), stack.NATS(t)
	instance := stack.UniqueName("e2e_")
	t.Cleanup(func() {
		_ = nats.DeleteStream(nats.Config{URL: natsURL})
		// The server's queues and exchanges (default prefix), once it stopped.
		if q, err := rabbitmq.New(rabbitmq.Config{URL: amqpURL, DisableWorkers: true}); err == nil {
			_ = q.Close(context.Background())
			_ = q.Destroy()
		}
	})
	seedOut := filepath.Join(t.TempDir(), "seed.json")
	p := startServer(t, append(clusterEnv(2), "QUEUE_PROVIDER=rabbitmq", "RABBITMQ_URL="+amqpURL,
		"BUS_PROVIDER=nats", "NATS_URL="+natsURL, "BUS_INSTANCE="+instance,
		"SEED_ORGS=1", "SEED_USERS=1", "SEED_AGENTS=1", "SEED_OUT="+seedOut)...)
	p.waitWorkers(2, 20*time.Second, nil)
	resp, err := freshClient.Get(p.base + "/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct {
		Checks map[string]struct{ Status string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("health: status %d, %v", resp.StatusCode, err)
	}
	if h.Checks["queue"].Status != "pass" {
		t.Errorf("health queue check: got %+v; want pass", h.Checks["queue"])
	}
	if out := p.out.String(); strings.Contains(out, "memory event bus") {
		t.Errorf("a shared bus was configured, yet the server warned of the memory bus:\n%s", lastLines(out, 20))
	}

	b, err := os.ReadFile(seedOut)
	if err != nil {
		t.Fatal(err)
	}
	var s seedJSON
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	c, org := connected(t, strings.Replace(p.base, "http://", "ws://", 1)+"/ws/realtime-sync?token="+realtimeToken(t, p.base, &s))
	defer c.Close()
	pub, err := nats.NewBus(nats.Config{URL: natsURL, Instance: "e2e_publisher"})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	ev := server.Event{ID: "e2e-" + instance, Type: server.EventSyncProgress, OrganizationID: org,
		Data: json.RawMessage(`{"progress":50}`), Timestamp: time.Now().UTC()}
	if err := pub.Publish(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var got server.Event
		if err := c.ReadJSON(&got); err != nil {
			t.Fatalf("no %s event on the socket: %v", ev.Type, err)
		}
		if got.Type == ev.Type {
			if got.ID != ev.ID || got.OrganizationID != org || string(got.Data) != `{"progress":50}` {
				t.Errorf("event on the socket: got %+v; want %+v", got, ev)
			}
			return
		}
	}
}
