package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	hzserver "github.com/cloudwego/hertz/pkg/app/server"
	"github.com/cloudwego/hertz/pkg/common/config"
	"github.com/cloudwego/hertz/pkg/common/tracer/stats"
	"github.com/cloudwego/hertz/pkg/network/netpoll"
	"github.com/cloudwego/hertz/pkg/route"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/echosenseix/echosenseix/server"
	usecase "github.com/echosenseix/echosenseix/server/app"
	"github.com/echosenseix/echosenseix/server/internal/fasttime"
	"github.com/echosenseix/echosenseix/server/internal/origin"
	"github.com/echosenseix/echosenseix/server/internal/shed"
)

// Defaults of Config fields left zero.
const (
	DefaultAddr             = ":5000"
	DefaultMaxBodySize      = 1 << 20  // bytes, every route but documents
	DefaultMaxDocumentSize  = 10 << 20 // bytes, POST /api/documents
	DefaultMaxWebhookSize   = 2 << 20  // bytes, the post-call webhooks (transcripts)
	DefaultMaxHeaderBytes   = 32 << 10 // bytes of request line and headers
	DefaultReadTimeout      = 30 * time.Second
	DefaultWriteTimeout     = 30 * time.Second
	DefaultIdleTimeout      = 120 * time.Second
	DefaultShutdownTimeout  = 30 * time.Second
	DefaultHeaderTimeout    = 10 * time.Second
	DefaultWebhookTolerance = 5 * time.Minute
	DefaultMaxJSONDepth     = 32
)

// Config configures the HTTP server. Zero fields take the Default* values.
// What the operations mean (cache lifetimes, sessions, tokens, the login
// throttle) is configured in package app, whose Service Deps.App carries.
type Config struct {
	Addr     string       // listen address; default ":5000"; ignored when Listener is set
	Listener net.Listener // optional: serve on this listener (cluster workers pass an SO_REUSEPORT one)

	MaxBodySize     int           // bytes; default 1 MiB; larger bodies answer 413
	MaxDocumentSize int           // bytes for POST /api/documents; default 10 MiB
	MaxWebhookSize  int           // bytes for the post-call webhooks; default 2 MiB
	MaxHeaderBytes  int           // request line and headers; default 32 KiB; larger answers 431
	ReadTimeout     time.Duration // whole-request read; default 30 s
	WriteTimeout    time.Duration // default 30 s
	IdleTimeout     time.Duration // keep-alive idle; default 120 s
	ShutdownTimeout time.Duration // grace for in-flight requests in Shutdown; default 30 s
	HeaderTimeout   time.Duration // whole request head, from accept or the request's first bytes to the route; default 10 s; negative: none
	MaxConnections  int           // open connections past which a new one is answered 503 and closed; 0: no bound

	// Overload: the adaptive concurrency limit (package shed) of every
	// route but /health*, /metrics and the WebSocket entry; past it 503
	// with Retry-After and code overloaded. nil: no limit.
	Overload *shed.Config

	CookieSecure bool // always set Secure on the cookie (also set behind TLS or X-Forwarded-Proto: https)

	AllowedOrigins   []string      // browser Origins allowed for writes and WebSocket upgrades besides the request's own host ("*" any); a browser Origin not listed answers 403
	WebhookTolerance time.Duration // signature timestamp skew allowed; default 5 min

	TrustedProxies []string // CIDRs whose X-Forwarded-For/X-Real-IP are believed (login throttle per address); nil: loopback only; empty: none

	MaxJSONDepth int    // nesting allowed in request JSON; default 32
	Version      string // reported by /health

	DisableHealth bool // HEALTH_CHECK_ENABLED=false: /health, /health/live and /health/ready are not mounted

	HealthCacheTTL time.Duration // GET /health reuses its pings and memory read this long; default 1 s; negative: every call
	HealthOnAdmin  bool          // GET /health is not mounted on the public port (HealthHandler serves it on the admin listener)
}

// Realtime serves an authenticated WebSocket request: it checks the
// handshake (origin included), answers 101 and hijacks the connection.
// httpapi has authenticated the caller before calling it; session is the
// tag of the session the socket belongs to (empty: none), by which a logout
// closes it.
type Realtime interface {
	ServeWS(ctx context.Context, c *app.RequestContext, orgID, userID, session string)
}

// Deps are the adapters the API runs on. Realtime and DB may be nil;
// Registry nil means no /metrics; Logger nil means slog.Default().
//
// App runs every operation (required); the rest is what the HTTP layer
// itself reads: health pings, queue stats, the realtime entry, metrics.
type Deps struct {
	App      *usecase.Service
	Cache    server.Cache
	Queue    server.Queue
	Realtime Realtime      // nil: /ws/realtime-sync answers 503
	DB       server.Pinger // nil when in-memory: the database check passes
	Registry *prometheus.Registry
	Logger   *slog.Logger
	Host     HostChecker // nil: no "host" check in /health, no host_setting_ok
}

// Server is the HTTP API.
type Server struct {
	cfg     Config
	d       Deps
	log     *slog.Logger
	h       *hzserver.Hertz
	app     *usecase.Service
	origins *origin.Policy
	maxBody int // largest route body limit, bytes
	m       *httpMetrics
	conns   *connTracker
	limits  *connLimits
	shed    *shed.Limiter // nil: no overload limit
	start   time.Time

	sweeping  atomic.Bool   // the header sweeper runs
	sweepStop chan struct{} // closed by Shutdown
	stopOnce  sync.Once

	draining atomic.Bool // /health/ready answers 503
	closing  atomic.Bool // every response asks the client to close its connection

	detailMu sync.Mutex
	details  []healthDetail

	decoySecret []byte // HMAC key of the signature check an unknown agent gets
	healthSnap  healthSnapshot
}

// New validates d and builds the server with every route registered. It
// registers the API's collectors on d.Registry.
func New(cfg Config, d Deps) (*Server, error) {
	if err := d.validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	origins, err := origin.New(cfg.AllowedOrigins)
	if err != nil {
		return nil, fmt.Errorf("cannot create http api: %w", err)
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	s := &Server{
		cfg:     cfg,
		d:       d,
		log:     d.Logger,
		app:     d.App,
		origins: origins,
		m:       newHTTPMetrics(),
		limits:  newConnLimits(),
		start:   time.Now(),

		sweepStop: make(chan struct{}),

		decoySecret: randomBytes(32),
	}
	s.conns = newConnTracker(cfg.MaxConnections, s.limits)
	if cfg.Overload != nil {
		s.shed = shed.New(*cfg.Overload)
	}
	fasttime.Start()
	s.maxBody = max(cfg.MaxBodySize, cfg.MaxWebhookSize, s.documentLimit())
	if d.Registry != nil {
		if err := s.registerMetrics(d.Registry); err != nil {
			return nil, err
		}
	}
	s.h = hzserver.New(s.options()...)
	s.h.ContinueHandler = s.continueBody
	ipFunc, err := clientIPFunc(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	s.h.SetClientIPFunc(ipFunc)
	s.routes(s.h.Engine)
	return s, nil
}

// clientIPFunc believes forwarding headers only from trusted proxies
// (hertz's default trusts every peer, so a client could pick its address).
func clientIPFunc(cidrs []string) (app.ClientIP, error) {
	if cidrs == nil {
		cidrs = []string{"127.0.0.0/8", "::1/128"}
	}
	nets := make([]*net.IPNet, 0, len(cidrs))
	for _, c := range cidrs {
		_, n, err := net.ParseCIDR(c)
		if err != nil {
			return nil, fmt.Errorf("cannot parse trusted proxy %q: %w", c, err)
		}
		nets = append(nets, n)
	}
	return app.ClientIPWithOption(app.ClientIPOptions{
		RemoteIPHeaders: []string{"X-Forwarded-For", "X-Real-IP"},
		TrustedCIDRs:    nets,
	}), nil
}

// validate checks what the API runs on; the stores are checked by
// usecase.New.
func (d *Deps) validate() error {
	missing := ""
	switch {
	case d.App == nil:
		missing = "App"
	case d.Cache == nil:
		missing = "Cache"
	case d.Queue == nil:
		missing = "Queue"
	}
	if missing != "" {
		return fmt.Errorf("cannot create http api: Deps.%s is nil", missing)
	}
	return nil
}

// App answers the use cases the server runs on (Deps.App).
func (s *Server) App() *usecase.Service { return s.app }

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.MaxBodySize <= 0 {
		c.MaxBodySize = DefaultMaxBodySize
	}
	if c.MaxDocumentSize <= 0 {
		c.MaxDocumentSize = DefaultMaxDocumentSize
	}
	if c.MaxWebhookSize <= 0 {
		c.MaxWebhookSize = DefaultMaxWebhookSize
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if c.MaxJSONDepth <= 0 {
		c.MaxJSONDepth = DefaultMaxJSONDepth
	}
	def(&c.ReadTimeout, DefaultReadTimeout)
	def(&c.WriteTimeout, DefaultWriteTimeout)
	def(&c.IdleTimeout, DefaultIdleTimeout)
	def(&c.ShutdownTimeout, DefaultShutdownTimeout)
	def(&c.HeaderTimeout, DefaultHeaderTimeout)
	def(&c.WebhookTolerance, DefaultWebhookTolerance)
	def(&c.HealthCacheTTL, DefaultHealthCacheTTL)
}

func (s *Server) options() []config.Option {
	// Bodies are streamed: hertz reads the head (at most MaxHeaderBytes,
	// else 431) and up to 8 KiB of the body before the route runs, and the
	// route's admission refuses a larger declared Content-Length (413 JSON)
	// before reading on; MaxRequestBodySize, the largest route limit, only
	// sizes that first read.
	opts := []config.Option{
		hzserver.WithTransport(netpoll.NewTransporter),
		hzserver.WithHostPorts(s.cfg.Addr),
		hzserver.WithStreamBody(true),
		hzserver.WithMaxRequestBodySize(s.maxBody),
		hzserver.WithMaxHeaderBytes(s.cfg.MaxHeaderBytes),
		hzserver.WithReadTimeout(s.cfg.ReadTimeout),
		hzserver.WithWriteTimeout(s.cfg.WriteTimeout),
		hzserver.WithIdleTimeout(s.cfg.IdleTimeout),
		hzserver.WithKeepAliveTimeout(s.cfg.IdleTimeout),
		hzserver.WithExitWaitTime(s.cfg.ShutdownTimeout),
		hzserver.WithHandleMethodNotAllowed(true),
		hzserver.WithRedirectTrailingSlash(false),
		hzserver.WithDisablePrintRoute(true),
		hzserver.WithDisablePreParseMultipartForm(true),
		hzserver.WithOnConnect(s.conns.onConnect),
		// The tracer only marks connections busy/idle for Shutdown; hertz's
		// per-request trace events (a time.Now, a pooled event and a lock
		// each, ~10 % of /health/live's CPU) are never read: record none.
		hzserver.WithTracer(s.conns),
		hzserver.WithTraceLevel(stats.LevelDisabled),
	}
	if s.cfg.Listener != nil {
		opts = append(opts, hzserver.WithListener(s.cfg.Listener))
	}
	return opts
}

// Engine returns the hertz engine, for in-process requests in tests
// (github.com/cloudwego/hertz/pkg/common/ut.PerformRequest) and benchmarks.
func (s *Server) Engine() *route.Engine { return s.h.Engine }

// Run serves on Config.Listener, or on Config.Addr, until Shutdown; it
// answers nil after a graceful Shutdown.
func (s *Server) Run() error {
	s.runSweeper()
	if err := s.h.Run(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("cannot serve http: %w", err)
	}
	return nil
}

// SetDraining turns /health/ready to 503 at once (load balancers stop
// sending new requests) while the server keeps accepting and serving; from
// now on every response says "Connection: close", so keep-alive clients
// (a balancer's upstream pool included) open their next request elsewhere
// instead of finding their connection closed when the listener goes.
func (s *Server) SetDraining() {
	s.draining.Store(true)
	s.closing.Store(true)
}

// Draining reports whether SetDraining or Shutdown was called.
func (s *Server) Draining() bool { return s.draining.Load() }

// Shutdown drains gracefully: readiness turns 503 at once, the listener
// closes, idle keep-alive connections are closed, in-flight requests finish
// within ctx (and at most Config.ShutdownTimeout). It answers an error
// wrapping context.DeadlineExceeded if requests were still running then.
// Hijacked (WebSocket) connections count as running: shut the realtime hub
// down first or register it with OnShutdown.
func (s *Server) Shutdown(ctx context.Context) error {
	s.SetDraining()
	return s.stop(ctx)
}

// Retire is Shutdown without the readiness flip: a cluster worker replaced
// in a rolling restart leaves while its siblings keep the port (and the
// instance) ready, so a balancer's check that lands on it must still see
// 200. Responses say "Connection: close" from now on.
func (s *Server) Retire(ctx context.Context) error {
	s.closing.Store(true)
	return s.stop(ctx)
}

func (s *Server) stop(ctx context.Context) error {
	s.stopOnce.Do(func() { close(s.sweepStop) })
	stop := make(chan struct{})
	go s.closeIdleLoop(stop)
	err := s.h.Shutdown(ctx)
	close(stop)
	if err != nil {
		return fmt.Errorf("cannot shut down http server: %w", err)
	}
	if n := s.conns.closeIdle(); n > 0 {
		return fmt.Errorf("cannot finish in-flight requests: %d connections still busy: %w", n, context.DeadlineExceeded)
	}
	return ctx.Err()
}

// OnShutdown registers fn to run, concurrently with the others, as soon as
// Shutdown starts (hertz's OnShutdown hooks); fn's ctx ends at the grace
// deadline. Register the realtime hub's Shutdown here so sockets get 1012
// while requests drain.
func (s *Server) OnShutdown(fn func(ctx context.Context)) {
	s.h.OnShutdown = append(s.h.OnShutdown, fn)
}

// closeIdleLoop closes keep-alive connections as they become idle while
// Shutdown waits; busy ones close themselves after their response.
func (s *Server) closeIdleLoop(stop <-chan struct{}) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		s.conns.closeIdle()
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}
