package main

// jsWorker is the bench worker of the reference JavaScript client,
// engine.io-client as installed in conformance/peers/jsclient. eio bench
// writes it to a temporary file and runs
//
//	node --expose-gc jsworker.js -modules DIR <worker flags>
//
// It takes the worker flags of bench_worker.go and prints the same JSON.
// Node cannot count allocations or goroutines; those fields are -1.
const jsWorker = `'use strict';
const fs = require('fs');
const path = require('path');

function goDuration(s) {
  let ms = 0;
  const re = /([0-9.]+)(ns|us|µs|ms|s|m|h)/g;
  const unit = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
  let m;
  while ((m = re.exec(s)) !== null) ms += Number(m[1]) * unit[m[2]];
  return ms;
}

function parseArgs(argv) {
  const c = { modules: '', scenario: 'rtt', url: '', mode: 'websocket', n: 1000, warmup: 0, size: 32,
    binary: false, window: 1000, maxTime: 60000, timeout: 180000 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i].replace(/^--?/, '');
    switch (k) {
      case 'binary': c.binary = true; break;
      case 'modules': case 'scenario': case 'url': case 'mode': c[k] = argv[++i]; break;
      case 'n': case 'warmup': case 'size': case 'window': c[k] = Number(argv[++i]); break;
      case 'max-time': c.maxTime = goDuration(argv[++i]); break;
      case 'timeout': c.timeout = goDuration(argv[++i]); break;
      default: i++; // flags this worker does not use take a value
    }
  }
  return c;
}

const cfg = parseArgs(process.argv.slice(2));
const { Socket } = require(path.join(cfg.modules, 'engine.io-client'));
const version = JSON.parse(fs.readFileSync(path.join(cfg.modules, 'engine.io-client', 'package.json'), 'utf8')).version;

function procIO() {
  try {
    const t = fs.readFileSync('/proc/self/io', 'utf8');
    const get = (k) => Number((t.match(new RegExp('^' + k + ':\\s*(\\d+)', 'm')) || [])[1]);
    return [get('syscr'), get('syscw')];
  } catch (e) { return [-1, -1]; }
}

function rssKB(field) {
  try {
    const t = fs.readFileSync('/proc/self/status', 'utf8');
    return Number((t.match(new RegExp('^' + field + ':\\s*(\\d+)', 'm')) || [])[1]);
  } catch (e) { return -1; }
}

const TIMEOUT = new Error('connect timed out');

// dial opens a socket and resolves once it carries messages (for upgrade:
// once upgraded); after limitMS it closes the socket and rejects with
// TIMEOUT.
function dial(mode, onMessage, limitMS = 15000) {
  return new Promise((resolve, reject) => {
    const transports = { websocket: ['websocket'], polling: ['polling'], upgrade: ['polling', 'websocket'] }[mode];
    const s = new Socket(cfg.url, { transports, upgrade: mode === 'upgrade' });
    const timer = setTimeout(() => { s.close(); reject(TIMEOUT); }, limitMS);
    const ok = () => { clearTimeout(timer); resolve(s); };
    const fail = (e) => { clearTimeout(timer); reject(e); };
    s.on('message', onMessage);
    s.on('error', (e) => fail(new Error(String(e && e.message || e))));
    if (mode === 'upgrade') {
      s.on('upgrade', ok);
      s.on('upgradeError', (e) => fail(new Error('upgrade: ' + e)));
    } else {
      s.on('open', ok);
    }
  });
}

function close(s) {
  return new Promise((resolve) => {
    if (s.readyState === 'closed') return resolve();
    s.on('close', () => resolve());
    s.close();
  });
}

function message() {
  const b = Buffer.alloc(cfg.size, 'x');
  return cfg.binary ? b : b.toString();
}

const nowNS = () => process.hrtime.bigint();

function quantiles(samples) {
  samples.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (samples.length === 0) return [0, 0];
  return [Number(samples[Math.floor(samples.length / 2)]), Number(samples[Math.min(samples.length - 1, Math.floor(samples.length * 99 / 100))])];
}

async function rtt(res) {
  let wake = null;
  const s = await dial(cfg.mode, () => { const w = wake; wake = null; if (w) w(); });
  const msg = message();
  const samples = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < cfg.warmup + cfg.n; i++) {
    const start = nowNS();
    await new Promise((resolve) => { wake = resolve; s.send(msg); });
    if (i >= cfg.warmup) samples.push(nowNS() - start);
  }
  const c = process.cpuUsage(c0);
  res.user_ns = c.user * 1000; res.sys_ns = c.system * 1000;
  res.messages = cfg.n;
  [res.median_ns, res.p99_ns] = quantiles(samples);
  await close(s);
}

async function pipe(res) {
  let sent = 0, recv = 0, target = 0, deadline = 0, done = null;
  const msg = message();
  let s = null;
  const pump = () => {
    while (sent < target && sent - recv < cfg.window) {
      if (sent % 64 === 0 && Date.now() > deadline) { target = sent; break; }
      s.send(msg);
      sent++;
    }
    if (recv >= target && done) { const d = done; done = null; d(); }
  };
  s = await dial(cfg.mode, () => { recv++; pump(); });
  const burst = (n) => new Promise((resolve) => {
    target = sent + n; deadline = Date.now() + cfg.maxTime; done = resolve; pump();
  });
  await burst(cfg.warmup);
  const before = sent;
  if (global.gc) global.gc();
  const [r0, w0] = procIO();
  const c0 = process.cpuUsage();
  const t0 = nowNS();
  await burst(cfg.n);
  const elapsed = nowNS() - t0;
  const c = process.cpuUsage(c0);
  const [r1, w1] = procIO();
  res.messages = sent - before;
  res.elapsed_ns = Number(elapsed);
  res.user_ns = c.user * 1000; res.sys_ns = c.system * 1000;
  res.reads = r0 < 0 ? -1 : r1 - r0; res.writes = w0 < 0 ? -1 : w1 - w0;
  await close(s);
}

async function connect(res) {
  const samples = [];
  for (let i = 0; i < cfg.warmup + cfg.n; i++) {
    const start = nowNS();
    let s;
    try {
      s = await dial(cfg.mode, () => {}, 5000);
    } catch (e) {
      if (e === TIMEOUT && res.failures < cfg.n) { res.failures++; continue; }
      throw e;
    }
    if (i >= cfg.warmup) samples.push(nowNS() - start);
    await close(s);
  }
  [res.median_ns, res.p99_ns] = quantiles(samples);
}

async function idle(res) {
  if (global.gc) global.gc();
  const rss0 = rssKB('VmRSS');
  const socks = [];
  for (let i = 0; i < cfg.n; i += 16) {
    const batch = [];
    for (let j = i; j < Math.min(cfg.n, i + 16); j++) batch.push(dial(cfg.mode, () => {}));
    socks.push(...await Promise.all(batch));
  }
  if (global.gc) global.gc();
  const rss1 = rssKB('VmRSS');
  res.conn_rss = Math.round((rss1 - rss0) * 1024 / cfg.n);
  await Promise.all(socks.map(close));
}

async function main() {
  const res = { client: 'js', version, scenario: cfg.scenario, mode: cfg.mode, size: cfg.size, binary: cfg.binary,
    messages: 0, elapsed_ns: 0, user_ns: 0, sys_ns: 0, mallocs: -1, hwm_kb: 0, median_ns: 0, p99_ns: 0,
    reads: -1, writes: -1, conn_rss: 0, conn_go: -1, failures: 0, server_cpu: 0 };
  const timer = setTimeout(() => {
    res.error = 'timed out after ' + cfg.timeout + ' ms';
    process.stdout.write(JSON.stringify(res) + '\n', () => process.exit(1));
  }, cfg.timeout);
  try {
    await ({ rtt, pipe, connect, idle })[cfg.scenario](res);
  } catch (e) {
    res.error = String(e && e.stack || e);
  }
  clearTimeout(timer);
  res.hwm_kb = rssKB('VmHWM');
  process.stdout.write(JSON.stringify(res) + '\n', () => process.exit(res.error ? 1 : 0));
}

main();
`
