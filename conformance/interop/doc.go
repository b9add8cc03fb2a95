// Package interop is the interoperability matrix: the client of this module
// against every real server in conformance/peers, for each protocol
// revision the server speaks, each transport mode (polling only, websocket
// only, polling upgraded to websocket) and each scenario (echo, burst,
// maxPayload, closes from either side, heartbeat, ping timeout, a restarted
// server, an unknown session, a wrong revision, a custom path with headers
// and query). Deviation tests name each way a server departs from
// engine.io's behaviour and check how the client copes.
//
// The tests live in the _test files; this file and report.go hold the
// [Report] a run produces and its rendering as docs/interop.md:
//
//	go test ./conformance/interop -update   # or: make interop
//
// A cell a server makes impossible is recorded as [Impossible] with the
// reason, never skipped silently. A cell that fails because of a known
// client bug is recorded as [KnownFailure] with the bug and does not fail
// the run, unless INTEROP_STRICT=1 is set; a known failure that starts
// passing fails the run, so the list stays true.
package interop
