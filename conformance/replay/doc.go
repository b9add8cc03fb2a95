// Package replay checks the eio client against recorded Engine.IO sessions.
//
// A [Case] is one session of a trace ([trace.Session]) together with what
// the HAR it came from says beyond packets (which side closed a
// WebSocket). [Load] and [LoadFile] make one Case per session of a HAR;
// [NewCase] wraps a session built some other way.
//
// [Case.Run] is the wire-level replay. It starts a server on 127.0.0.1 that
// plays the recorded server — the same packets in the same order, the
// handshake included — and drives the client's public API as the recorded
// application did: it sends what the application sent and disconnects
// when it disconnected. Everything protocol-level (the handshake request,
// pongs, the upgrade probe and upgrade packet, the close packet) must come
// from the client itself. Each packet the client sends is compared, as it
// arrives, with the recorded packet stream of its transport and direction;
// the first difference stops the replay and is reported as a [Divergence]
// naming the transport, the packet index, what was expected and what came,
// and the client's lifecycle state at that moment.
//
// The server follows the recording causally: a server packet goes out once
// every client packet recorded before it has arrived, after the recorded
// delay (scaled by [Options.Speed]) since the event it followed. So the
// answer to a probe is sent when the probe arrives, and a ping when its
// time comes. Like a real server, it sends session packets on whichever
// transport carries the session at the time: packets recorded on a polling
// response that the client, upgrading sooner, no longer polls for go out on
// the WebSocket after the upgrade, and a noop recorded to release a poll is
// dropped when no poll is waiting.
//
// [Case.RunMachine] is the machine-level replay: it feeds the recording
// through an [fsm.Machine] alone, with a virtual clock, and reports for
// each input the state before, the transition and the effects, comparing
// the packets of the Write effects with the recorded client packets.
//
// [Mermaid] renders a session as a Mermaid sequence diagram.
//
// Allowed differences: batching, timestamps and header order; a close
// packet before the client closes a WebSocket, or none; a pong sent alone
// or batched with messages. Not allowed: different packets, a different
// order within a transport's stream, a different upgrade sequence.
package replay
