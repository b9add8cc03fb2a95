'use strict';

// Shared logic of the Engine.IO conformance peers. Each peer folder
// (node6, node3) installs its own engine.io version and calls run() with it,
// so the same command vocabulary is served by every engine.io major version.
//
// Contract (see README.md): after listening, exactly one line
// "LISTENING <port>" is written to stdout; everything else goes to stderr.

const http = require('http');

const MAX_GENERATED = 256 * 1024 * 1024; // upper bound for cmd:binary / cmd:large / cmd:burst
const CLOSED_HISTORY = 100;

const USAGE = `usage: node server.js [flags]
  --host HOST             address to listen on (default 127.0.0.1)
  --port N                port, 0 picks a free one (default 0)
  --path PATH             engine.io path (default /engine.io)
  --ping-interval MS      pingInterval
  --ping-timeout MS       pingTimeout
  --max-payload BYTES     maxHttpBufferSize
  --transports LIST       comma separated, e.g. polling,websocket
  --no-upgrades           allowUpgrades = false
  --allow-eio3            accept protocol v3 clients (engine.io >= 4 only)
  --cookie NAME           set a cookie NAME=<sid> on the handshake
  --upgrade-timeout MS    upgradeTimeout
  --per-message-deflate   accept permessage-deflate on WebSockets (threshold 0)
  --verbose               log connections and closes to stderr
  --ignore-stdin          do not exit when stdin closes
`;

function fail(msg) {
  process.stderr.write(`peer: ${msg}\n${USAGE}`);
  process.exit(2);
}

function parseIntFlag(name, value, min) {
  if (value === undefined || !/^\d+$/.test(value)) {
    fail(`flag ${name} needs a non-negative integer, got ${JSON.stringify(value)}`);
  }
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) {
    fail(`flag ${name}: ${value} is out of range`);
  }
  return n;
}

function parseArgs(argv) {
  const cfg = {
    host: '127.0.0.1',
    port: 0,
    path: '/engine.io',
    pingInterval: undefined,
    pingTimeout: undefined,
    maxPayload: undefined,
    transports: undefined,
    noUpgrades: false,
    allowEIO3: false,
    cookie: undefined,
    upgradeTimeout: undefined,
    perMessageDeflate: false,
    verbose: false,
    ignoreStdin: false,
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let inline;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const value = () => {
      if (inline !== undefined) return inline;
      i++;
      if (i >= argv.length) fail(`flag ${arg} needs a value`);
      return argv[i];
    };
    switch (arg) {
      case '--host': cfg.host = value(); break;
      case '--port': cfg.port = parseIntFlag(arg, value(), 0); break;
      case '--path': cfg.path = value(); break;
      case '--ping-interval': cfg.pingInterval = parseIntFlag(arg, value(), 1); break;
      case '--ping-timeout': cfg.pingTimeout = parseIntFlag(arg, value(), 1); break;
      case '--max-payload': cfg.maxPayload = parseIntFlag(arg, value(), 1); break;
      case '--upgrade-timeout': cfg.upgradeTimeout = parseIntFlag(arg, value(), 1); break;
      case '--transports': {
        const list = value().split(',').map((s) => s.trim()).filter((s) => s !== '');
        if (list.length === 0) fail('flag --transports needs at least one transport');
        cfg.transports = list;
        break;
      }
      case '--cookie': {
        const name = value();
        if (name === '') fail('flag --cookie needs a cookie name');
        cfg.cookie = name;
        break;
      }
      case '--no-upgrades': cfg.noUpgrades = true; break;
      case '--allow-eio3': cfg.allowEIO3 = true; break;
      case '--per-message-deflate': cfg.perMessageDeflate = true; break;
      case '--verbose': cfg.verbose = true; break;
      case '--ignore-stdin': cfg.ignoreStdin = true; break;
      case '-h':
      case '--help':
        process.stdout.write(USAGE);
        process.exit(0);
        break;
      default:
        fail(`unknown flag ${JSON.stringify(arg)}`);
    }
  }
  if (cfg.port > 65535) fail(`port ${cfg.port} is out of range`);
  if (cfg.path === '' || cfg.path[0] !== '/') fail('flag --path must start with "/"');
  if (cfg.path.replace(/\/+$/, '') === '/peer') fail('flag --path must not be /peer');
  return cfg;
}

// engineOptions maps the flags onto the options of the given engine.io major
// version. The cookie option differs: engine.io 3 enables an "io" cookie by
// default and takes a name string; engine.io >= 4 takes an object and has no
// cookie unless asked.
function engineOptions(cfg, major) {
  const opts = { path: cfg.path };
  if (cfg.pingInterval !== undefined) opts.pingInterval = cfg.pingInterval;
  if (cfg.pingTimeout !== undefined) opts.pingTimeout = cfg.pingTimeout;
  if (cfg.maxPayload !== undefined) opts.maxHttpBufferSize = cfg.maxPayload;
  if (cfg.transports !== undefined) opts.transports = cfg.transports;
  if (cfg.upgradeTimeout !== undefined) opts.upgradeTimeout = cfg.upgradeTimeout;
  if (cfg.noUpgrades) opts.allowUpgrades = false;
  if (cfg.perMessageDeflate) opts.perMessageDeflate = { threshold: 0 };
  if (major >= 4) {
    if (cfg.allowEIO3) opts.allowEIO3 = true;
    if (cfg.cookie !== undefined) opts.cookie = { name: cfg.cookie };
  } else {
    // Protocol v3 is all engine.io 3 speaks, so --allow-eio3 is a no-op.
    opts.cookie = cfg.cookie !== undefined ? cfg.cookie : false;
  }
  return opts;
}

// SeqTracker counts "seq:<key>:<n>" messages of one socket.
class SeqTracker {
  constructor() {
    this.received = 0;
    this.outOfOrder = 0;
    this.duplicates = 0;
    this.malformed = 0;
    this.last = new Map(); // key -> last accepted n
    this.seen = new Map(); // key -> Set of every n accepted
  }

  add(body) {
    this.received++;
    const sep = body.lastIndexOf(':');
    const digits = sep < 0 ? '' : body.slice(sep + 1);
    if (sep < 0 || !/^\d+$/.test(digits) || !Number.isSafeInteger(Number(digits))) {
      this.malformed++;
      return;
    }
    const key = body.slice(0, sep);
    const n = Number(digits);
    let seen = this.seen.get(key);
    if (seen === undefined) {
      seen = new Set();
      this.seen.set(key, seen);
    }
    if (seen.has(n)) {
      this.duplicates++;
      return;
    }
    const prev = this.last.has(key) ? this.last.get(key) : -1;
    if (n !== prev + 1) this.outOfOrder++;
    seen.add(n);
    this.last.set(key, n);
  }

  toJSON() {
    const keys = {};
    for (const [k, v] of this.last) keys[k] = v;
    return {
      received: this.received,
      outOfOrder: this.outOfOrder,
      duplicates: this.duplicates,
      malformed: this.malformed,
      keys,
    };
  }
}

function parseCount(arg) {
  if (!/^\d+$/.test(arg)) return -1;
  const n = Number(arg);
  if (!Number.isSafeInteger(n) || n > MAX_GENERATED) return -1;
  return n;
}

function handshakeInfo(socket, major) {
  const req = socket.request || {};
  let query = req._query;
  if (query === undefined && typeof req.url === 'string') {
    query = Object.fromEntries(new URL(req.url, 'http://peer.invalid').searchParams);
  }
  return {
    headers: req.headers || {},
    query: query || {},
    url: req.url || '',
    transport: socket.transport ? socket.transport.name : '',
    protocol: protocolOf(socket, major),
  };
}

function protocolOf(socket, major) {
  if (typeof socket.protocol === 'number') return socket.protocol;
  return major >= 4 ? 4 : 3;
}

function toBuffer(data) {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(String(data));
}

function handleCommand(socket, cmd, stats, major) {
  const reply = (text) => socket.send(text);
  const colon = cmd.indexOf(':');
  const name = colon < 0 ? cmd : cmd.slice(0, colon);
  const arg = colon < 0 ? '' : cmd.slice(colon + 1);
  switch (name) {
    case 'stats':
      reply('stats:' + JSON.stringify(stats));
      return;
    case 'close':
      socket.close();
      return;
    case 'transport':
      reply('transport:' + (socket.transport ? socket.transport.name : ''));
      return;
    case 'extensions': {
      // The WebSocket extensions negotiated with this client, as the ws
      // library reports them ("" on polling or without any).
      const ws = socket.transport && socket.transport.socket;
      reply('extensions:' + (ws && typeof ws.extensions === 'string' ? ws.extensions : ''));
      return;
    }
    case 'handshake':
      reply('handshake:' + JSON.stringify(handshakeInfo(socket, major)));
      return;
    case 'binary':
    case 'large':
    case 'burst': {
      const n = parseCount(arg);
      if (n < 0) {
        reply(`error:cmd:${name} needs a count between 0 and ${MAX_GENERATED}, got ${JSON.stringify(arg)}`);
        return;
      }
      if (name === 'binary') {
        const buf = Buffer.allocUnsafe(n);
        for (let i = 0; i < n; i++) buf[i] = i & 0xff;
        socket.send(buf);
      } else if (name === 'large') {
        reply('x'.repeat(n));
      } else {
        for (let i = 0; i < n; i++) reply('burst:' + i);
      }
      return;
    }
    default:
      reply('error:unknown command ' + JSON.stringify(cmd));
  }
}

// run starts the peer. engine is the engine.io module, version its package
// version (e.g. "6.6.13"), label a short name used in log lines.
function run(engine, version, label) {
  const major = Number(String(version).split('.')[0]);
  if (!Number.isInteger(major) || major < 1) fail(`cannot tell the engine.io major version from ${JSON.stringify(version)}`);
  const cfg = parseArgs(process.argv.slice(2));
  const log = (msg) => process.stderr.write(`[${label}] ${new Date().toISOString()} ${msg}\n`);
  const vlog = cfg.verbose ? log : () => {};

  const open = new Map(); // id -> socket
  const closed = []; // last CLOSED_HISTORY {id, reason, ...}

  const server = http.createServer((req, res) => {
    const path = req.url.split('?')[0];
    if (req.method === 'GET' && path === '/peer/sessions') {
      const body = JSON.stringify({ open: Array.from(open.keys()), closed });
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Cache-Control': 'no-store',
        'Content-Length': Buffer.byteLength(body),
      });
      res.end(body);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found\n');
  });

  const eio = engine.attach(server, engineOptions(cfg, major));

  eio.on('connection', (socket) => {
    const stats = new SeqTracker();
    const id = socket.id;
    open.set(id, socket);
    vlog(`open ${id} transport=${socket.transport.name} protocol=${protocolOf(socket, major)} url=${socket.request && socket.request.url}`);

    socket.on('upgrade', (transport) => {
      vlog(`upgrade ${id} transport=${transport && transport.name}`);
    });

    socket.on('message', (data) => {
      if (typeof data !== 'string') {
        socket.send(toBuffer(data));
        return;
      }
      if (data.startsWith('seq:')) {
        stats.add(data.slice(4));
        return;
      }
      if (data.startsWith('cmd:')) {
        handleCommand(socket, data.slice(4), stats, major);
        return;
      }
      socket.send(data);
    });

    socket.on('error', (err) => {
      vlog(`error ${id}: ${err && err.message}`);
    });

    socket.once('close', (reason, description) => {
      open.delete(id);
      const entry = {
        id,
        reason: String(reason),
        transport: socket.transport ? socket.transport.name : '',
        protocol: protocolOf(socket, major),
        stats: stats.toJSON(),
      };
      if (description !== undefined && description !== null) {
        entry.description = String(description && description.message ? description.message : description);
      }
      closed.push(entry);
      while (closed.length > CLOSED_HISTORY) closed.shift();
      vlog(`close ${id} reason=${JSON.stringify(entry.reason)}` +
        (entry.description ? ` description=${JSON.stringify(entry.description)}` : ''));
    });
  });

  if (cfg.verbose) {
    eio.on('connection_error', (err) => {
      log(`connection_error code=${err.code} message=${JSON.stringify(err.message)} url=${err.req && err.req.url}`);
    });
  }

  let stopping = false;
  const shutdown = (why) => {
    if (stopping) return;
    stopping = true;
    vlog(`shutting down: ${why}`);
    try {
      eio.close();
    } catch (e) {
      log(`engine close failed: ${e.message}`);
    }
    server.close(() => process.exit(0));
    if (typeof server.closeAllConnections === 'function') server.closeAllConnections();
    setTimeout(() => process.exit(0), 1000).unref();
  };

  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGHUP', () => shutdown('SIGHUP'));
  // A closed stdout (the parent stopped reading) must not crash the peer.
  process.stdout.on('error', () => {});

  server.on('error', (err) => {
    log(`server error: ${err.message}`);
    process.exit(1);
  });

  server.listen(cfg.port, cfg.host, () => {
    const port = server.address().port;
    process.stdout.write(`LISTENING ${port}\n`);
    log(`engine.io ${version} listening on http://${cfg.host}:${port}${cfg.path}`);
    if (!cfg.ignoreStdin) {
      // The parent holds our stdin open; EOF means it went away.
      process.stdin.on('end', () => shutdown('stdin closed'));
      process.stdin.on('close', () => shutdown('stdin closed'));
      process.stdin.on('error', () => shutdown('stdin error'));
      process.stdin.on('data', () => {});
      process.stdin.resume();
    }
  });
}

module.exports = { run, parseArgs, engineOptions, SeqTracker };
