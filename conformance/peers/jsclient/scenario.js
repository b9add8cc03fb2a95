'use strict';

// Drives the reference engine.io-client through one scenario against a
// server, for recording conformance traces through `eio proxy`.
//
//   node scenario.js --client 6|3 --url http://127.0.0.1:PORT SCENARIO
//
// engine.io-client 6 (protocol v4) is installed in this folder,
// engine.io-client 3 (protocol v3) in ../jsclient3. The scenarios expect
// the echo peers of ../node6 or ../node3 (see ../README.md). The process
// exits 0 once the session closed as the scenario expects, 1 otherwise,
// and gives up after --timeout milliseconds (default 10000).

const path = require('path');

function parseArgs(argv) {
  const cfg = { client: '6', url: '', timeout: 10000, scenario: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--client') cfg.client = argv[++i];
    else if (a === '--url') cfg.url = argv[++i];
    else if (a === '--timeout') cfg.timeout = Number(argv[++i]);
    else if (a.startsWith('--')) fail(`unknown flag ${a}`);
    else cfg.scenario = a;
  }
  if (!cfg.url || !cfg.scenario) fail('usage: node scenario.js --client 6|3 --url URL SCENARIO');
  return cfg;
}

function fail(msg) {
  process.stderr.write(`scenario: ${msg}\n`);
  process.exit(2);
}

// open returns a client socket of the requested major version.
function open(major, url, opts) {
  if (major === '3') {
    const eio = require(path.join(__dirname, '..', 'jsclient3', 'node_modules', 'engine.io-client'));
    return eio(url, opts);
  }
  const { Socket } = require('engine.io-client');
  return new Socket(url, opts);
}

// Session wraps a socket with promises for the events scenarios wait on.
class Session {
  constructor(socket) {
    this.socket = socket;
    this.messages = [];
    this.waiters = [];
    this.pings = 0;
    this.closed = new Promise((resolve) => socket.on('close', (reason) => resolve(String(reason))));
    this.opened = new Promise((resolve) => socket.on('open', resolve));
    this.upgraded = new Promise((resolve) => socket.on('upgrade', resolve));
    socket.on('message', (data) => {
      this.messages.push(data);
      this.wake();
    });
    // v4: the server's ping; v3: the server's answer to the client's ping.
    socket.on('ping', () => { this.pings++; this.wake(); });
    socket.on('pong', () => { this.pings++; this.wake(); });
  }

  wake() {
    const ws = this.waiters;
    this.waiters = [];
    ws.forEach((f) => f());
  }

  until(cond) {
    return new Promise((resolve) => {
      const check = () => (cond() ? resolve() : this.waiters.push(check));
      check();
    });
  }

  messagesAtLeast(n) { return this.until(() => this.messages.length >= n); }
  pingsAtLeast(n) { return this.until(() => this.pings >= n); }
  send(data) { this.socket.send(data); }
  close() { this.socket.close(); }
}

const bytes = (n, start = 0) => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (start + i) & 0xff;
  return b;
};

// Each scenario returns the options for the socket and a function that
// runs it; it resolves with the close reason it expects.
const scenarios = {
  polling: {
    opts: { transports: ['polling'] },
    async run(s) {
      await s.opened;
      s.send('hello');
      await s.messagesAtLeast(1);
      s.send('second');
      await s.messagesAtLeast(2);
      s.close();
    },
  },
  websocket: {
    opts: { transports: ['websocket'] },
    async run(s) {
      await s.opened;
      s.send('hello');
      await s.messagesAtLeast(1);
      s.send('second');
      await s.messagesAtLeast(2);
      s.close();
    },
  },
  upgrade: {
    opts: { transports: ['polling', 'websocket'] },
    async run(s) {
      await s.opened;
      s.send('hello');
      await s.upgraded;
      await s.messagesAtLeast(1);
      s.send('after upgrade');
      await s.messagesAtLeast(2);
      s.close();
    },
  },
  'binary-polling': {
    opts: { transports: ['polling'] },
    async run(s) {
      await s.opened;
      s.send(bytes(4, 1));
      await s.messagesAtLeast(1);
      s.send('cmd:binary:16');
      await s.messagesAtLeast(2);
      s.close();
    },
  },
  'binary-websocket': {
    opts: { transports: ['websocket'] },
    async run(s) {
      await s.opened;
      s.send(bytes(4, 1));
      await s.messagesAtLeast(1);
      s.send('cmd:binary:16');
      await s.messagesAtLeast(2);
      s.close();
    },
  },
  'server-close': {
    opts: { transports: ['polling'] },
    async run(s) {
      await s.opened;
      s.send('cmd:close');
    },
  },
  'server-close-websocket': {
    opts: { transports: ['websocket'] },
    async run(s) {
      await s.opened;
      s.send('cmd:close');
    },
  },
  'client-close': {
    opts: { transports: ['polling'] },
    async run(s) {
      await s.opened;
      s.close();
    },
  },
  heartbeat: {
    opts: { transports: ['polling'] },
    async run(s) {
      await s.opened;
      await s.pingsAtLeast(3);
      s.close();
    },
  },
  'heartbeat-websocket': {
    opts: { transports: ['websocket'] },
    async run(s) {
      await s.opened;
      await s.pingsAtLeast(3);
      s.close();
    },
  },
  'server-burst': {
    opts: { transports: ['polling'] },
    async run(s) {
      await s.opened;
      s.send('cmd:burst:50');
      await s.messagesAtLeast(50);
      s.close();
    },
  },
  'upgrade-heartbeat': {
    opts: { transports: ['polling', 'websocket'] },
    async run(s) {
      await s.opened;
      await s.upgraded;
      await s.pingsAtLeast(3);
      s.close();
    },
  },
  'upgrade-burst': {
    // The server's burst arrives while the client probes the WebSocket.
    opts: { transports: ['polling', 'websocket'] },
    async run(s) {
      await s.opened;
      s.send('cmd:burst:20');
      await s.messagesAtLeast(20);
      await s.upgraded;
      s.send('after');
      await s.messagesAtLeast(21);
      s.close();
    },
  },
  'upgrade-server-close': {
    opts: { transports: ['polling', 'websocket'] },
    async run(s) {
      await s.opened;
      await s.upgraded;
      s.send('cmd:close');
    },
  },
  burst: {
    opts: { transports: ['polling'] },
    async run(s) {
      await s.opened;
      for (let i = 0; i < 50; i++) s.send('burst ' + i);
      await s.messagesAtLeast(50);
      s.close();
    },
  },
  'max-payload': {
    // The peer runs with --max-payload 1000: a 990-character message and
    // its echo fill a polling payload almost to the limit.
    opts: { transports: ['polling'] },
    async run(s) {
      await s.opened;
      s.send('y'.repeat(990));
      await s.messagesAtLeast(1);
      s.close();
    },
  },
};

async function main() {
  const cfg = parseArgs(process.argv.slice(2));
  const sc = scenarios[cfg.scenario];
  if (!sc) fail(`unknown scenario ${JSON.stringify(cfg.scenario)}; known: ${Object.keys(scenarios).join(', ')}`);
  const timer = setTimeout(() => {
    process.stderr.write(`scenario ${cfg.scenario}: timed out\n`);
    process.exit(1);
  }, cfg.timeout);
  const socket = open(cfg.client, cfg.url, sc.opts);
  const s = new Session(socket);
  socket.on('error', (err) => process.stderr.write(`scenario ${cfg.scenario}: error ${err && err.message}\n`));
  await sc.run(s);
  const reason = await s.closed;
  clearTimeout(timer);
  process.stderr.write(`scenario ${cfg.scenario}: closed (${reason}), ${s.messages.length} messages\n`);
  // The client emits "close" before its last request (the polling close
  // packet) has left: give it time to go out before exiting.
  setTimeout(() => process.exit(0), 500);
}

main().catch((err) => {
  process.stderr.write(`scenario: ${err && err.stack}\n`);
  process.exit(1);
});

module.exports = { scenarios };
