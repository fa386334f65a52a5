'use strict';
// Many idle keep-alive connections plus clients polling a status page, against one server.
//   node bench/idle.js HOST PORT IDLE_PATH POLL_PATH_PREFIX TOKEN IDLE_N POLLERS SECONDS [INTERVAL_MS] [IDS]
// Opens POLLERS keep-alive connections, then IDLE_N more (one request each, then they stay open and silent); then each
// poller, GET POLL_PATH_PREFIX + id every INTERVAL_MS (3000) for SECONDS, with a Bearer TOKEN;
// ids are ws_CO_bench_(10000000 + k) for k in 1..IDS (100000). Prints "ready" once every connection is open, then one
// JSON line: connections opened, errors (refused, reset, timeouts, non-200), polls answered and their latency.
const net = require('node:net');

const [host, portText, idlePath, pollPrefix, token, idleText, pollersText, secondsText, intervalText, idsText] =
  process.argv.slice(2);
const port = Number(portText);
const idleN = Number(idleText);
const pollers = Number(pollersText);
const seconds = Number(secondsText);
const interval = Number(intervalText || 3000);
const ids = Number(idsText || 100000);
const TIMEOUT_MS = 10000;

const stats = { idleOpen: 0, idleErrors: 0, pollerOpen: 0, polls: 0, pollErrors: 0, errorKinds: {}, latencies: [] };
const sockets = [];
const noteError = (kind) => { stats.errorKinds[kind] = (stats.errorKinds[kind] || 0) + 1; };

// One request on a socket; resolves with the status code once the whole response (Content-Length) is in.
function request(sock, path, auth) {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => { cleanup(); reject(new Error('timeout')); }, TIMEOUT_MS);
    const onData = (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const m = /content-length:\s*(\d+)/i.exec(head);
      const len = m ? Number(m[1]) : 0;
      if (buf.length < end + 4 + len) return;
      cleanup();
      resolve(Number(head.slice(9, 12)));
    };
    const onErr = (e) => { cleanup(); reject(e); };
    const onClose = () => { cleanup(); reject(new Error('closed')); };
    function cleanup() {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('error', onErr);
      sock.off('close', onClose);
    }
    sock.on('data', onData);
    sock.on('error', onErr);
    sock.on('close', onClose);
    sock.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: keep-alive\r\n` +
      (auth ? `Authorization: Bearer ${token}\r\n` : '') + '\r\n');
  });
}

function connect() {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    sock.setNoDelay(true);
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('connect timeout')); }, TIMEOUT_MS);
    sock.once('connect', () => { clearTimeout(timer); resolve(sock); });
    sock.once('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

async function openIdle(n) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      try {
        const sock = await connect();
        const status = await request(sock, idlePath, false);
        if (status !== 200) throw new Error(`HTTP ${status}`);
        sock.on('error', () => { stats.idleErrors++; noteError('idle reset'); });
        sockets.push(sock);
        stats.idleOpen++;
      } catch (e) {
        stats.idleErrors++;
        noteError(`idle: ${e.code || e.message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 100 }, worker));
}

async function pollOnce(sock) {
  const id = `ws_CO_bench_${10000000 + 1 + Math.floor(Math.random() * ids)}`;
  const t0 = process.hrtime.bigint();
  const status = await request(sock, pollPrefix + id, true);
  stats.latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
  if (status === 200) stats.polls++;
  else { stats.pollErrors++; noteError(`poll HTTP ${status}`); }
}

// A poller's connection is opened first (before the idle ones), so a server that caps its connections refuses
// idle connections, not the pollers', and the polls still say how fast it answers with every connection open.
async function openPoller() {
  let sock = null;
  try {
    sock = await connect();
    stats.pollerOpen++;
    await pollOnce(sock);  // one poll at once: then it waits in keep-alive like any client between two polls
    return sock;
  } catch (e) {
    if (sock) sock.destroy();
    stats.pollErrors++;
    noteError(`poller connect: ${e.code || e.message}`);
    return null;
  }
}

async function poller(sock, deadline) {
  // Start spread over one interval, so the polls arrive evenly (about POLLERS / interval per second).
  await new Promise((r) => setTimeout(r, Math.random() * interval));
  while (Date.now() < deadline) {
    try {
      if (!sock) { sock = await connect(); stats.pollerOpen++; }
      await pollOnce(sock);
    } catch (e) {
      stats.pollErrors++;
      noteError(`poll: ${e.code || e.message}`);
      if (sock) sock.destroy();
      sock = null;
    }
    await new Promise((r) => setTimeout(r, interval));
  }
  if (sock) sock.destroy();
}

(async () => {
  const pollSockets = [];
  for (let i = 0; i < pollers; i++) pollSockets.push(await openPoller());
  await openIdle(idleN);
  console.log('ready');
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(pollSockets.map((sock) => poller(sock, deadline)));
  const lat = stats.latencies.sort((a, b) => a - b);
  const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(lat.length * p))].toFixed(1) : 'n/a');
  let stillOpen = 0;
  for (const s of sockets) if (!s.destroyed) stillOpen++;
  console.log(JSON.stringify({
    idleOpen: stats.idleOpen, idleStillOpen: stillOpen, idleErrors: stats.idleErrors, pollers, pollerConnections: stats.pollerOpen,
    polls: stats.polls, pollErrors: stats.pollErrors, errorKinds: stats.errorKinds, p50ms: pct(0.5), p99ms: pct(0.99),
  }));
  for (const s of sockets) s.destroy();
  process.exit(0);
})();
