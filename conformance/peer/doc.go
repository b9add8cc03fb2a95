// Package peer starts the Node.js Engine.IO reference servers that live in
// conformance/peers (one folder per engine.io major version) so that Go tests
// can run the client against a real implementation.
//
// A test calls Start, which launches `node server.js` in the peer folder on a
// free loopback port, waits until the peer prints its "LISTENING <port>" line
// and registers a cleanup that stops it again:
//
//	p := peer.Start(t, peer.Node6, peer.Options{PingInterval: 200 * time.Millisecond})
//	// dial p.URL + "/engine.io/" ...
//
// The peers echo every message back and understand a small command
// vocabulary ("cmd:stats", "cmd:close", "cmd:burst:<n>", ...; see
// conformance/peers/README.md). Peer.Sessions reports which sessions the
// server still has open and why it closed the others, so a test can tell a
// clean client close ("transport close") from a ping timeout.
//
// The peers need Node.js and their npm dependencies (`make peers`, which runs
// conformance/peers/install.sh). When they are missing, Start skips the test,
// or fails it when the environment variable CI is "true" so that a CI run
// cannot pass by skipping everything.
//
// Peer processes run in their own process group; Stop (called by the
// registered cleanup) sends SIGTERM and, after three seconds, SIGKILL. The
// peer also exits by itself when its standard input, held open by this
// package, closes, so a test binary that dies does not leave it behind.
package peer
