// Package peer starts the real Engine.IO servers that live in
// conformance/peers so that Go tests can run the client against real
// implementations:
//
//   - [Node6] and [Node3]: the engine.io npm package, versions 6 and 3
//     (`node server.js` in the peer folder);
//   - [Python]: python-engineio from Debian's python3-engineio, on aiohttp
//     by default (`python3 server.py`; see Options.AsyncMode);
//   - [GoServer]: github.com/zishang520/socket.io/servers/engine/v3, built
//     into conformance/peers/goserver/bin/goserver from its own module.
//
// A test calls Start, which launches the peer on a free loopback port,
// waits until it prints its "LISTENING <port>" line and registers a cleanup
// that stops it again:
//
//	p := peer.Start(t, peer.Node6, peer.Options{PingInterval: 200 * time.Millisecond})
//	// dial p.URL + "/engine.io/" ...
//
// Every peer takes the same flags, echoes every message back and
// understands the same command vocabulary ("cmd:stats", "cmd:close",
// "cmd:burst:<n>", ...; see conformance/peers/README.md). Peer.Sessions
// reports which sessions the server still has open and why it closed the
// others, so a test can tell a clean client close ("transport close") from
// a ping timeout. [Revisions] tells which protocol revisions a kind speaks
// and [Version] which server version it runs.
//
// The peers need their runtimes and dependencies (`make peers`, which runs
// conformance/peers/install.sh). When they are missing, Start skips the
// test, or fails it when the environment variable CI is "true" so that a CI
// run cannot pass by skipping everything.
//
// Peer processes run in their own process group; Stop (called by the
// registered cleanup) sends SIGTERM and, after three seconds, SIGKILL; Kill
// sends SIGKILL at once, as a crash would. The peer also exits by itself
// when its standard input, held open by this package, closes, so a test
// binary that dies does not leave it behind.
package peer
