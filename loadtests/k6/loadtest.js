// k6 script for the EchoSenseiX load tiers. The tiers come from
// ../tiers/tiers.json, the same file the Go generator (bin/loadgen) reads:
//
//   k6 run -e TIER=smoke -e BASE_URL=http://127.0.0.1:5000 -e SEED=seed.json loadtests/k6/loadtest.js
//
// WS_URL overrides the socket URL: a tier with "realtimePort": true expects
// the server's dedicated listener, e.g. -e WS_URL=ws://127.0.0.1:5701/ws/realtime-sync
// for a server started with REALTIME_PORT=5701.
//
// SEED is the output of `echosenseix seed --orgs N --users U --agents A`.
// One tier user is two k6 VUs here: a "users" VU that logs in once and loads
// the dashboard page every think time, and a "realtime" VU that holds the
// user's /ws/realtime-sync socket. Webhooks arrive at the tier's rate from
// the "webhooks" scenario (constant-arrival-rate: open loop). k6 VUs are
// closed loops: when the server slows down, page loads slow down with it
// (coordinated omission); bin/loadgen measures from the intended start.
//
// Like bin/loadgen, only the hold judges: requests and checks made while
// the ramp runs are tagged judged:no, those of the hold judged:yes, and the
// thresholds (tiers.json's, plus the check pass rate) read judged:yes only.
// handleSummary prints each threshold's verdict and writes the whole
// summary as JSON to SUMMARY (default k6-summary.json).
import http from 'k6/http';
import { WebSocket } from 'k6/websockets';
import { setInterval, setTimeout, clearInterval } from 'k6/timers';
import crypto from 'k6/crypto';
import exec from 'k6/execution';
import { check, sleep } from 'k6';
import { Counter } from 'k6/metrics';

// The tier names this script knows; a Go test (k6_test.go) and the check
// below keep them equal to the keys of tiers.json.
export const KNOWN_TIERS = ['smoke', '1k', '10k', '100k'];

const tiersFile = JSON.parse(open('../tiers/tiers.json'));
const TIER = __ENV.TIER || 'smoke';
const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:5000').replace(/\/$/, '');
const WS_URL = __ENV.WS_URL || BASE_URL.replace(/^http/, 'ws') + '/ws/realtime-sync';
const seed = JSON.parse(open(__ENV.SEED || 'seed.json'));

const tierNames = Object.keys(tiersFile.tiers).sort();
if (tierNames.join(',') !== KNOWN_TIERS.slice().sort().join(',')) {
  throw new Error('tiers.json has tiers ' + tierNames + '; this script knows ' + KNOWN_TIERS);
}
const tier = tiersFile.tiers[TIER];
if (!tier) {
  throw new Error('unknown TIER ' + TIER + '; want one of ' + KNOWN_TIERS);
}
const th = tier.thresholds;

/**
 * @typedef {{ email: string, password: string }} SeedUser
 * @typedef {{ externalAgentId: string }} SeedAgent
 * @typedef {{ webhookSecret: string, users: SeedUser[], agents: SeedAgent[] }} SeedOrg
 */

/** Every user of the seed, interleaved across organizations (as bin/loadgen does). */
function logins() {
  /** @type {SeedUser[]} */
  const out = [];
  for (let i = 0; ; i++) {
    let added = false;
    for (const org of /** @type {SeedOrg[]} */ (seed.organizations)) {
      if (i < org.users.length) {
        out.push(org.users[i]);
        added = true;
      }
    }
    if (!added) return out;
  }
}
const LOGINS = logins();
/** @type {{ secret: string, agentId: string }[]} */
const WEBHOOK_TARGETS = [];
for (const org of /** @type {SeedOrg[]} */ (seed.organizations)) {
  for (const agent of org.agents) {
    WEBHOOK_TARGETS.push({ secret: org.webhookSecret, agentId: agent.externalAgentId });
  }
}

const ramp = tier.rampSeconds + 's';
const hold = tier.holdSeconds + 's';

/**
 * The scenarios of one tier: users, realtime sockets, webhooks.
 * @param {any} t a tier of tiers.json
 * @returns {Record<string, any>}
 */
function scenarios(t) {
  /** @type {Record<string, any>} */
  const s = {
    users: {
      executor: 'ramping-vus',
      exec: 'users',
      startVUs: 0,
      stages: [
        { duration: ramp, target: t.users },
        { duration: hold, target: t.users },
      ],
      gracefulRampDown: '0s',
    },
  };
  if (t.realtime) {
    s.realtime = {
      executor: 'ramping-vus',
      exec: 'realtime',
      startVUs: 0,
      stages: [
        { duration: ramp, target: t.users },
        { duration: hold, target: t.users },
      ],
      gracefulRampDown: '5s',
    };
  }
  if (t.webhooksPerSecond > 0) {
    s.webhooks = {
      executor: 'constant-arrival-rate',
      exec: 'webhooks',
      rate: t.webhooksPerSecond,
      timeUnit: '1s',
      duration: t.rampSeconds + t.holdSeconds + 's',
      preAllocatedVUs: t.webhookConns,
      maxVUs: t.webhookConns * 4,
    };
  }
  return s;
}

// Thresholds come from tiers.json (judged requests: page loads and
// webhooks of the hold; logins are slow on purpose and never judged). The
// checks of the hold must pass at least as often as requests may succeed.
export const options = {
  scenarios: scenarios(tier),
  thresholds: {
    'http_req_failed{judged:yes}': ['rate<=' + th.maxErrorRate],
    'http_req_duration{judged:yes}': ['p(95)<=' + th.p95Ms, 'p(99)<=' + th.p99Ms],
    'checks{judged:yes}': ['rate>=' + (1 - th.maxErrorRate)],
    ws_connect_failed: ['count<=' + Math.floor(tier.users * (1 - th.minSocketRatio))],
  },
  setupTimeout: '10m',
};

/**
 * judged answers 'yes' once this scenario is past the tier's ramp (the
 * hold, which the thresholds judge), 'no' before.
 * @returns {'yes' | 'no'}
 */
function judged() {
  return Date.now() - exec.scenario.startTime >= tier.rampSeconds * 1000 ? 'yes' : 'no';
}

const wsConnectFailed = new Counter('ws_connect_failed');
const callsCompleted = new Counter('ws_call_completed');

/** setup checks that the server is ready before any VU starts. */
export function setup() {
  const res = http.get(BASE_URL + '/health/ready', { tags: { judged: 'no' } });
  if (res.status !== 200) {
    throw new Error('server not ready: /health/ready answered ' + res.status);
  }
  return { start: Date.now() };
}

// Per-VU state (module scope is per VU in k6).
let sid = '';

/** login logs this VU in once, as session (VU mod sessions), and returns the sid. */
function login() {
  if (sid) return sid;
  const user = LOGINS[(__VU - 1) % Math.min(tier.sessions, LOGINS.length)];
  const res = http.post(BASE_URL + '/api/login', JSON.stringify({ email: user.email, password: user.password }), {
    headers: { 'Content-Type': 'application/json' },
    tags: { judged: 'no', name: 'POST /api/login' },
  });
  check(res, { 'login 200': (r) => r.status === 200 }, { judged: 'no' });
  const c = res.cookies.sid;
  sid = c && c.length > 0 ? c[0].value : '';
  return sid;
}

/** users: one page load (every page path at once, like the dashboard), then think. */
export function users() {
  if (!login()) {
    sleep(2);
    return;
  }
  const j = judged();
  const reqs = tiersFile.pageLoad.map((/** @type {string} */ path) => ({
    method: 'GET',
    url: BASE_URL + path,
    params: { tags: { judged: j, name: 'GET ' + path.split('?')[0] } },
  }));
  const res = http.batch(reqs);
  let ok = true;
  for (let i = 0; i < reqs.length; i++) ok = ok && res[i].status === 200;
  check(ok, { 'page 200': (v) => v }, { judged: j });
  sleep(tier.thinkSeconds);
}

/**
 * realtime: hold the user's socket until the end of the tier, answering
 * nothing but pings (k6/websockets: the iteration lasts while the socket is
 * open).
 * @param {{ start: number }} data what setup returned
 */
export function realtime(data) {
  const cookie = login();
  if (!cookie) {
    wsConnectFailed.add(1);
    sleep(2);
    return;
  }
  const endsAt = data.start + (tier.rampSeconds + tier.holdSeconds) * 1000;
  const j = judged();
  const socket = new WebSocket(WS_URL, null, { headers: { Cookie: 'sid=' + cookie } });
  let opened = false;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let pinger;
  socket.onopen = () => {
    opened = true;
    pinger = setInterval(() => socket.send(JSON.stringify({ type: 'ping' })), 25000);
    setTimeout(() => socket.close(), Math.max(endsAt - Date.now(), 1000));
  };
  socket.onmessage = (e) => {
    if (e && typeof e.data === 'string' && e.data.indexOf('"call_completed"') >= 0) callsCompleted.add(1);
  };
  socket.onerror = () => {
    if (!opened) socket.close();
  };
  socket.onclose = () => {
    if (pinger !== undefined) clearInterval(pinger);
    check(opened, { 'ws open': (v) => v }, { judged: j });
    if (!opened) wsConnectFailed.add(1);
  };
}

/**
 * sign returns the ElevenLabs-Signature header for body at unix time t.
 * @param {string} secret
 * @param {number} t
 * @param {string} body
 * @returns {string}
 */
export function sign(secret, t, body) {
  return 't=' + t + ',v0=' + crypto.hmac('sha256', secret, t + '.' + body, 'hex');
}

/** webhooks: one signed post-call webhook with a unique conversation id. */
export function webhooks() {
  const target = WEBHOOK_TARGETS[Math.floor(Math.random() * WEBHOOK_TARGETS.length)];
  const t = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({
    type: 'post_call_transcription',
    event_timestamp: t,
    data: {
      agent_id: target.agentId,
      conversation_id: 'k6-' + __VU + '-' + __ITER + '-' + Date.now(),
      status: 'done',
      transcript: [{ role: 'agent', message: 'hi', time_in_call_secs: 0 }],
      metadata: { call_duration_secs: 42, cost: 0.12 },
      analysis: { transcript_summary: 'k6 load test call' },
    },
  });
  const j = judged();
  const res = http.post(BASE_URL + '/api/webhooks/post-call', body, {
    headers: { 'Content-Type': 'application/json', 'ElevenLabs-Signature': sign(target.secret, t, body) },
    tags: { judged: j, name: 'POST /api/webhooks/post-call' },
  });
  check(res, { 'webhook 200': (r) => r.status === 200 }, { judged: j });
}

/**
 * handleSummary replaces k6's end-of-test text: one line per threshold with
 * its verdict and the judged figures on stdout, the full summary as JSON in
 * SUMMARY (default k6-summary.json).
 * @param {any} data k6's end-of-test summary
 * @returns {Record<string, string>}
 */
export function handleSummary(data) {
  const lines = ['EchoSenseiX k6 ' + TIER + ' (judged: the ' + tier.holdSeconds + ' s hold)'];
  let failed = 0;
  for (const name of Object.keys(data.metrics).sort()) {
    const m = data.metrics[name];
    if (!m.thresholds) continue;
    for (const expr of Object.keys(m.thresholds)) {
      const ok = m.thresholds[expr].ok;
      if (!ok) failed++;
      lines.push((ok ? '  ok    ' : '  FAIL  ') + name + ' ' + expr + '  ' + JSON.stringify(m.values));
    }
  }
  lines.push(failed === 0 ? 'every threshold met' : failed + ' threshold(s) failed');
  return {
    stdout: lines.join('\n') + '\n',
    [__ENV.SUMMARY || 'k6-summary.json']: JSON.stringify(data, null, 2),
  };
}
