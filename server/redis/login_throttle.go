package redis

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/auth"
)

var _ server.LoginThrottle = (*LoginThrottle)(nil)

// LoginThrottle is the server.LoginThrottle every worker and instance
// sharing a Redis shares: each attempt is one Lua script (one round trip,
// EVALSHA) that reads the back-offs, counts (HINCRBY + PEXPIRE) and decides
// atomically, on Redis' clock. Keys are hashes {n: attempts, b: refused
// until, unix ms} under prefix+"login:{throttle}:"; the hash tag keeps the
// three keys of an attempt in one slot on Redis Cluster.
type LoginThrottle struct {
	rc      rueidis.Client
	prefix  string
	lim     server.LoginLimits
	args    []string // limits as script arguments
	timeout time.Duration
	br      breaker
}

// NewLoginThrottle returns a LoginThrottle on rc with lim (zero fields take
// the defaults); cfg gives Prefix and ReadTimeout.
func NewLoginThrottle(rc rueidis.Client, cfg Config, lim server.LoginLimits) *LoginThrottle {
	cfg = cfg.withDefaults()
	lim = lim.WithDefaults()
	ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
	return &LoginThrottle{rc: rc, prefix: cfg.Prefix + "login:{throttle}:", lim: lim, timeout: cfg.ReadTimeout,
		args: []string{strconv.Itoa(lim.PerAddress), strconv.Itoa(lim.PerAccount), ms(lim.Window), ms(lim.Backoff), ms(lim.MaxBackoff)}}
}

// attemptScript: KEYS address, account, pair; ARGV per address, per
// account, window, back-off, longest back-off (ms). Answers the wait in ms,
// 0 when the attempt was counted. The rules are server.LoginThrottle's and
// auth.MemoryThrottle's.
var attemptScript = rueidis.NewLuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local au = tonumber(redis.call('HGET', KEYS[1], 'b') or 0)
if now < au then return au - now end
local uu = tonumber(redis.call('HGET', KEYS[2], 'b') or 0)
if now < uu and redis.call('EXISTS', KEYS[3]) == 1 then return uu - now end
local window, base, cap = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local function count(k, limit)
  local n = redis.call('HINCRBY', k, 'n', 1)
  local b
  if limit > 0 and n >= limit then
    b = math.min(base * 2 ^ math.min(n - limit, 30), cap)
    redis.call('HSET', k, 'b', string.format('%d', now + b))
  else
    b = math.max(0, tonumber(redis.call('HGET', k, 'b') or 0) - now)
  end
  redis.call('PEXPIRE', k, string.format('%d', window + b))
end
count(KEYS[1], tonumber(ARGV[1]))
count(KEYS[2], tonumber(ARGV[2]))
count(KEYS[3], 0)
return 0
`)

// successScript: KEYS address, account, pair; ARGV per address, per
// account. Forgets the pair and gives the attempt back.
var successScript = rueidis.NewLuaScript(`
redis.call('DEL', KEYS[3])
for i = 1, 2 do
  local n = tonumber(redis.call('HGET', KEYS[i], 'n') or 0)
  if n > 0 then
    n = redis.call('HINCRBY', KEYS[i], 'n', -1)
    if n < tonumber(ARGV[i]) then redis.call('HDEL', KEYS[i], 'b') end
  end
end
return 0
`)

// Attempt implements server.LoginThrottle.
func (t *LoginThrottle) Attempt(ctx context.Context, account, addr string) (time.Duration, error) {
	res, err := t.exec(ctx, attemptScript, account, addr, t.args, "attempt")
	if err != nil {
		return 0, err
	}
	ms, err := res.AsInt64()
	if err != nil {
		return 0, classify(&t.br, "login throttle", "read", err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// Succeeded implements server.LoginThrottle.
func (t *LoginThrottle) Succeeded(ctx context.Context, account, addr string) error {
	_, err := t.exec(ctx, successScript, account, addr, t.args[:2], "reset")
	return err
}

func (t *LoginThrottle) exec(ctx context.Context, s *rueidis.Lua, account, addr string, args []string, op string) (rueidis.RedisResult, error) {
	if !t.br.allow() {
		return rueidis.RedisResult{}, unavailable("login throttle unavailable", errBreakerOpen)
	}
	a, u, p := auth.ThrottleKeys(account, addr)
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	res := s.Exec(ctx, t.rc, []string{t.prefix + a, t.prefix + u, t.prefix + p}, args)
	if err := res.Error(); err != nil {
		return res, classify(&t.br, "login throttle", op, err)
	}
	t.br.record(nil)
	return res, nil
}
