package rabbitmq

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/echosenseix/echosenseix/server"
)

var (
	_ server.Queue  = (*Queue)(nil)
	_ server.Pinger = (*Queue)(nil)
)

// Message headers carrying the Job fields AMQP has no place for.
const (
	headerOrg         = "es-org"
	headerPriority    = "es-priority"
	headerAttempts    = "es-attempts" // runs started before this delivery
	headerMaxAttempts = "es-max-attempts"
	headerCreated     = "es-created"
	headerError       = "es-error"
	routingKey        = "job"
)

// reconnect back-off bounds.
const (
	reconnectMin = 50 * time.Millisecond
	reconnectMax = 2 * time.Second
)

// names are the exchanges and queues of one Prefix.
type names struct {
	work, jobs, dlx, dead, delay string
}

func namesOf(prefix string) names {
	return names{work: prefix + ".work", jobs: prefix + ".jobs", dlx: prefix + ".dlx", dead: prefix + ".dead", delay: prefix + ".delay."}
}

// Queue is a server.Queue on RabbitMQ. Every instance made with the same
// URL and Prefix shares the jobs; each runs Concurrency of them.
type Queue struct {
	cfg   Config
	n     names
	jobs  *jobTable
	dial  func() (*amqp.Connection, error)
	ready chan struct{} // closed once the first session is up

	mu     sync.Mutex // guards the fields of the live session and delays
	conn   *amqp.Connection
	pub    *amqp.Channel // confirm mode
	decl   *amqp.Channel // declarations of delay buckets
	cons   *amqp.Channel
	tag    string              // consumer tag of cons
	delays map[int64]time.Time // delay buckets declared in this session, when
	seen   map[int64]bool      // every bucket declared, for Stats

	hmu      sync.RWMutex
	handlers map[string]server.JobHandler

	rmu     sync.Mutex // guards running and closed
	running int
	closed  bool
	drained chan struct{} // closed when closed and running == 0

	reconnects atomic.Uint64

	runCtx    context.Context
	cancelRun context.CancelFunc
	stop      chan struct{}
	loopDone  chan struct{}
	closeOnce sync.Once
}

// New dials cfg.URL, declares the topology and starts Concurrency workers.
// It answers an error coded EUNAVAILABLE when the broker cannot be reached
// now.
func New(cfg Config) (*Queue, error) {
	cfg = cfg.withDefaults()
	q := &Queue{
		cfg: cfg, n: namesOf(cfg.Prefix), jobs: newJobTable(cfg.Retention, cfg.MaxKept),
		handlers: make(map[string]server.JobHandler), seen: make(map[int64]bool),
		drained: make(chan struct{}), stop: make(chan struct{}), loopDone: make(chan struct{}), ready: make(chan struct{}),
	}
	q.dial = func() (*amqp.Connection, error) {
		return amqp.DialConfig(cfg.URL, amqp.Config{
			Heartbeat: 10 * time.Second,
			Dial:      func(network, addr string) (net.Conn, error) { return net.DialTimeout(network, addr, cfg.DialTimeout) },
		})
	}
	q.runCtx, q.cancelRun = context.WithCancel(context.Background())
	conn, err := q.dial()
	if err != nil {
		return nil, unavailable(fmt.Errorf("cannot connect to rabbitmq: %w", err))
	}
	closed, err := q.open(conn)
	if err != nil {
		_ = conn.Close()
		return nil, unavailable(err)
	}
	go q.supervise(conn, closed)
	return q, nil
}

func unavailable(err error) error {
	return server.WrapError(server.EUNAVAILABLE, "job queue unavailable", err)
}

// declare declares the topology on ch.
func (q *Queue) declare(ch *amqp.Channel) error {
	n := q.n
	steps := []func() error{
		func() error { return ch.ExchangeDeclare(n.work, amqp.ExchangeDirect, true, false, false, false, nil) },
		func() error { return ch.ExchangeDeclare(n.dlx, amqp.ExchangeFanout, true, false, false, false, nil) },
		func() error {
			_, err := ch.QueueDeclare(n.jobs, true, false, false, false, amqp.Table{
				"x-max-priority": int32(MaxPriority), "x-dead-letter-exchange": n.dlx})
			return err
		},
		func() error { _, err := ch.QueueDeclare(n.dead, true, false, false, false, nil); return err },
		func() error { return ch.QueueBind(n.jobs, routingKey, n.work, false, nil) },
		func() error { return ch.QueueBind(n.dead, "", n.dlx, false, nil) },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return fmt.Errorf("cannot declare the job queue topology: %w", err)
		}
	}
	return nil
}

// open sets up one session on conn: topology, channels, consumer and
// workers. It answers the connection's close notification.
func (q *Queue) open(conn *amqp.Connection) (chan *amqp.Error, error) {
	closed := conn.NotifyClose(make(chan *amqp.Error, 1))
	decl, err := conn.Channel()
	if err != nil {
		return nil, fmt.Errorf("cannot open a channel: %w", err)
	}
	if err := q.declare(decl); err != nil {
		return nil, err
	}
	pub, err := conn.Channel()
	if err == nil {
		err = pub.Confirm(false)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot open the publishing channel: %w", err)
	}
	var cons *amqp.Channel
	var deliveries <-chan amqp.Delivery
	if !q.cfg.DisableWorkers {
		if cons, err = conn.Channel(); err == nil {
			if err = cons.Qos(q.cfg.Concurrency, 0, false); err == nil {
				q.tag = q.cfg.Prefix + "-" + newID()
				deliveries, err = cons.Consume(q.n.jobs, q.tag, false, false, false, false, nil)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("cannot consume %s: %w", q.n.jobs, err)
		}
	}
	q.mu.Lock()
	q.conn, q.pub, q.decl, q.cons, q.delays = conn, pub, decl, cons, make(map[int64]time.Time)
	q.mu.Unlock()
	for range q.cfg.Concurrency * boolInt(deliveries != nil) {
		go q.work(deliveries)
	}
	select {
	case <-q.ready:
	default:
		close(q.ready)
	}
	return closed, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// supervise re-dials after the connection is lost, until Close.
func (q *Queue) supervise(conn *amqp.Connection, closed chan *amqp.Error) {
	defer close(q.loopDone)
	for {
		select {
		case <-q.stop:
			q.mu.Lock()
			q.conn, q.pub, q.decl, q.cons = nil, nil, nil, nil
			q.mu.Unlock()
			_ = conn.Close()
			return
		case err := <-closed:
			q.mu.Lock()
			q.conn, q.pub, q.decl, q.cons = nil, nil, nil, nil
			q.mu.Unlock()
			q.cfg.Logger.Warn("rabbitmq connection lost; reconnecting", "err", err)
		}
		wait := reconnectMin
		for {
			select {
			case <-q.stop:
				return
			case <-time.After(wait):
			}
			c, err := q.dial()
			if err == nil {
				if closed, err = q.open(c); err == nil {
					conn = c
					q.reconnects.Add(1)
					q.cfg.Logger.Info("rabbitmq connection restored")
					break
				}
				_ = c.Close()
			}
			q.cfg.Logger.Warn("rabbitmq reconnect failed", "err", err, "retry_in", wait)
			wait = min(2*wait, reconnectMax)
		}
	}
}

// level clamps a priority to a level.
func level(priority int) int { return min(max(priority, MinPriority), MaxPriority) }

// Register sets the handler of jobType; it may be called at any time.
func (q *Queue) Register(jobType string, h server.JobHandler) {
	q.hmu.Lock()
	q.handlers[jobType] = h
	q.hmu.Unlock()
}

// AddJob publishes a job and returns once the broker confirmed it. Data
// must be empty or JSON. With the broker unreachable it fails with
// EUNAVAILABLE.
func (q *Queue) AddJob(ctx context.Context, jobType string, data []byte, opt server.JobOptions) (*server.Job, error) {
	if q.isClosed() {
		return nil, server.Errorf(server.EUNAVAILABLE, "job queue is closed")
	}
	if err := server.CheckJob(jobType, data, opt); err != nil {
		return nil, err
	}
	if len(data) == 0 {
		data = []byte("null")
	}
	attempts := opt.MaxAttempts
	if attempts == 0 {
		attempts = q.cfg.MaxAttempts
	}
	j := &server.Job{
		ID: newID(), Type: jobType, OrganizationID: opt.OrganizationID, Data: json.RawMessage(data),
		Priority: opt.Priority, State: server.JobPending, MaxAttempts: attempts, CreatedAt: time.Now().UTC(),
	}
	if opt.Delay > 0 {
		j.State = server.JobDelayed
	}
	q.jobs.update(j.ID, j, func(*server.Job) {})
	if err := q.publishJob(ctx, j, opt.Delay, ""); err != nil {
		q.jobs.remove(j.ID)
		return nil, err
	}
	c := *j
	return &c, nil
}

// publishJob publishes j (its Attempts runs done, lastErr their last
// error) to the jobs queue, or to a delay bucket when delay > 0, and waits
// for the broker's confirm.
func (q *Queue) publishJob(ctx context.Context, j *server.Job, delay time.Duration, lastErr string) error {
	headers := amqp.Table{
		headerPriority: int64(j.Priority), headerAttempts: int64(j.Attempts), headerMaxAttempts: int64(j.MaxAttempts),
		headerCreated: j.CreatedAt.Format(time.RFC3339Nano),
	}
	if j.OrganizationID != "" {
		headers[headerOrg] = j.OrganizationID
	}
	if lastErr != "" {
		headers[headerError] = lastErr
	}
	msg := amqp.Publishing{
		MessageId: j.ID, Type: j.Type, Body: j.Data, Headers: headers, Priority: uint8(level(j.Priority)),
		DeliveryMode: amqp.Persistent, ContentType: "application/json", Timestamp: time.Now(),
	}
	exchange, key := q.n.work, routingKey
	if delay > 0 {
		ms, err := q.delayBucket(delay)
		if err != nil {
			return err
		}
		exchange, key = "", q.n.delay+strconv.FormatInt(ms, 10)
	}
	return q.publish(ctx, exchange, key, msg)
}

// publish publishes msg and waits for its confirm, within PublishTimeout.
func (q *Queue) publish(ctx context.Context, exchange, key string, msg amqp.Publishing) error {
	q.mu.Lock()
	pub := q.pub
	q.mu.Unlock()
	if pub == nil {
		return unavailable(errors.New("not connected to rabbitmq"))
	}
	ctx, cancel := context.WithTimeout(ctx, q.cfg.PublishTimeout)
	defer cancel()
	dc, err := pub.PublishWithDeferredConfirmWithContext(ctx, exchange, key, true, false, msg)
	if err != nil {
		return unavailable(fmt.Errorf("cannot publish job: %w", err))
	}
	ok, err := dc.WaitContext(ctx)
	if err != nil {
		return unavailable(fmt.Errorf("no confirm for job: %w", err))
	}
	if !ok {
		return unavailable(errors.New("rabbitmq refused the job (nack)"))
	}
	return nil
}

// bucket rounds d up to its delay bucket in milliseconds: multiples of 10
// ms up to 100 ms, then two significant digits.
func bucket(d time.Duration) int64 {
	ms := int64((d + time.Millisecond - 1) / time.Millisecond)
	step := int64(10)
	for ms > step*10 {
		step *= 10
	}
	return max((ms+step-1)/step*step, 10)
}

// redeclareAfter: a bucket is declared again before a publish when its
// last declaration is older than this. The broker drops a bucket unused
// (not declared) for its x-expires, 2×TTL+1 min, and a message published
// to a dropped bucket would be unroutable; declared at most 30 s before the
// publish, the bucket outlives the message's TTL.
const redeclareAfter = 30 * time.Second

// delayBucket declares the delay queue of d's bucket (again when its last
// declaration is older than redeclareAfter).
func (q *Queue) delayBucket(d time.Duration) (int64, error) {
	ms := bucket(d)
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.decl == nil {
		return 0, unavailable(errors.New("not connected to rabbitmq"))
	}
	if at, ok := q.delays[ms]; ok && time.Since(at) < redeclareAfter {
		return ms, nil
	}
	_, err := q.decl.QueueDeclare(q.n.delay+strconv.FormatInt(ms, 10), true, false, false, false, amqp.Table{
		"x-message-ttl": ms, "x-expires": 2*ms + 60_000,
		"x-dead-letter-exchange": q.n.work, "x-dead-letter-routing-key": routingKey,
	})
	if err != nil {
		return 0, unavailable(fmt.Errorf("cannot declare delay queue: %w", err))
	}
	q.delays[ms], q.seen[ms] = time.Now(), true
	return ms, nil
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Job answers what this instance knows of the job id, or ENOTFOUND.
func (q *Queue) Job(_ context.Context, id string) (*server.Job, error) {
	if j := q.jobs.get(id); j != nil {
		return j, nil
	}
	return nil, server.Errorf(server.ENOTFOUND, "job %s not found", id)
}

// Stats answers the broker's ready count of the jobs queue as Pending and
// of the dead-letter queue as Failed, the ready count of the delay buckets
// this instance declared as Delayed, and this instance's running and kept
// completed jobs.
func (q *Queue) Stats(context.Context) (server.QueueStats, error) {
	q.mu.Lock()
	conn := q.conn
	buckets := make([]int64, 0, len(q.seen))
	for ms := range q.seen {
		buckets = append(buckets, ms)
	}
	q.mu.Unlock()
	if conn == nil {
		return server.QueueStats{}, unavailable(errors.New("not connected to rabbitmq"))
	}
	ch, err := conn.Channel()
	if err != nil {
		return server.QueueStats{}, unavailable(fmt.Errorf("cannot open a channel: %w", err))
	}
	defer func() { _ = ch.Close() }()
	count := func(name string) (int64, error) {
		qi, err := ch.QueueDeclarePassive(name, true, false, false, false, nil)
		return int64(qi.Messages), err
	}
	var st server.QueueStats
	if st.Pending, err = count(q.n.jobs); err == nil {
		st.Failed, err = count(q.n.dead)
	}
	if err != nil {
		return server.QueueStats{}, unavailable(fmt.Errorf("cannot get queue stats: %w", err))
	}
	for _, ms := range buckets {
		n, err := count(q.n.delay + strconv.FormatInt(ms, 10))
		if err != nil { // the bucket expired: the broker closed the channel
			q.mu.Lock()
			delete(q.seen, ms)
			delete(q.delays, ms)
			q.mu.Unlock()
			_ = ch.Close()
			if ch, err = conn.Channel(); err != nil {
				return server.QueueStats{}, unavailable(fmt.Errorf("cannot open a channel: %w", err))
			}
			continue
		}
		st.Delayed += n
	}
	q.rmu.Lock()
	st.Processing = int64(q.running)
	q.rmu.Unlock()
	st.Completed = q.jobs.completed()
	return st, nil
}

// Destroy deletes the exchanges and queues of the Prefix, with the delay
// buckets this instance declared, on a connection of its own; call it
// after Close to decommission a Prefix (tests do, for each of theirs).
func (q *Queue) Destroy() error {
	conn, err := q.dial()
	if err != nil {
		return unavailable(fmt.Errorf("cannot connect to rabbitmq: %w", err))
	}
	defer func() { _ = conn.Close() }()
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("cannot open a channel: %w", err)
	}
	q.mu.Lock()
	queues := []string{q.n.jobs, q.n.dead}
	for ms := range q.seen {
		queues = append(queues, q.n.delay+strconv.FormatInt(ms, 10))
	}
	q.mu.Unlock()
	var errs []error
	for _, name := range queues {
		if _, err := ch.QueueDelete(name, false, false, false); err != nil {
			errs = append(errs, fmt.Errorf("cannot delete queue %s: %w", name, err))
			if ch, err = conn.Channel(); err != nil {
				return errors.Join(append(errs, err)...)
			}
		}
	}
	for _, name := range []string{q.n.work, q.n.dlx} {
		if err := ch.ExchangeDelete(name, false, false); err != nil {
			errs = append(errs, fmt.Errorf("cannot delete exchange %s: %w", name, err))
			if ch, err = conn.Channel(); err != nil {
				return errors.Join(append(errs, err)...)
			}
		}
	}
	return errors.Join(errs...)
}

// Ping checks that the connection to the broker is up.
func (q *Queue) Ping(context.Context) error {
	q.mu.Lock()
	conn := q.conn
	q.mu.Unlock()
	if conn == nil || conn.IsClosed() {
		return unavailable(errors.New("not connected to rabbitmq"))
	}
	return nil
}

func (q *Queue) isClosed() bool {
	q.rmu.Lock()
	defer q.rmu.Unlock()
	return q.closed
}

// Close stops taking jobs and waits for running ones until ctx ends. Jobs
// still running then are returned to the broker unacknowledged (their
// handlers' contexts are canceled) and Close answers an error saying so.
// AddJob fails afterwards. Later calls do nothing and answer nil.
func (q *Queue) Close(ctx context.Context) error {
	var err error
	q.closeOnce.Do(func() {
		q.rmu.Lock()
		q.closed = true
		if q.running == 0 {
			close(q.drained)
		}
		q.rmu.Unlock()
		q.mu.Lock()
		if q.cons != nil {
			_ = q.cons.Cancel(q.tag, false)
		}
		q.mu.Unlock()
		select {
		case <-q.drained:
		case <-ctx.Done():
			q.rmu.Lock()
			n := q.running
			q.rmu.Unlock()
			err = fmt.Errorf("cannot drain job queue: %d jobs still running, returned to the queue: %w", n, ctx.Err())
		}
		q.cancelRun()
		close(q.stop)
		<-q.loopDone
	})
	return err
}
