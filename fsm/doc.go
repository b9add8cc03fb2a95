// Package fsm is the Engine.IO connection lifecycle as an explicit state
// machine.
//
// A [Machine] is in one of five [State]s: [Disconnected], [Handshaking],
// [Open], [Upgrading] and [Closing]. Every state change is a named [Event]
// of one transition table (see [Transitions]), kept on
// github.com/looplab/fsm, which no other package of this module imports.
//
// The machine is pure. [Machine.Step] takes one [Input] — a user command
// ([Connect], [Send], [Disconnect]), something a transport reported
// ([Opened], [Received], [Wrote], [Failed], [Malformed]) or a timer that
// fired ([TimerFired]) — and returns the [Effect]s that carry it out:
// transports to open, write, poll or close, timers to arm or stop, and
// notifications for the application. It does no I/O, starts no goroutine
// and reads no clock: time reaches it only as [TimerFired] inputs, so tests
// and trace replays drive it deterministically.
//
// The machine owns the protocol data of a session: the handshake, the
// protocol revision's heartbeat rules, the write buffer and its batching
// into polling payloads that fit maxPayload, and the sub-steps of a
// transport upgrade. A Machine is not safe for concurrent use: one
// goroutine owns it.
package fsm
