package client

import (
	"encoding/json"
	"time"

	"github.com/eio-go/eio/fsm"
)

// JSONCodec encodes and decodes JSON for [Client.Send]. encoding/json
// satisfies it through [StdJSON].
type JSONCodec interface {
	Marshal(v any) ([]byte, error)
	Unmarshal(data []byte, v any) error
}

// StdJSON is the [JSONCodec] of encoding/json.
type StdJSON struct{}

// Marshal calls json.Marshal.
func (StdJSON) Marshal(v any) ([]byte, error) { return json.Marshal(v) }

// Unmarshal calls json.Unmarshal.
func (StdJSON) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// Message is a message received from the server, or one that Send
// accepted and will never send (see [Client.OnSendFailed]).
type Message struct {
	// Data is the message's payload; the handler may keep it, and the
	// client never writes to it again. Small messages received over
	// WebSocket share a block of up to 32 KiB with their neighbours, so
	// keeping one keeps that block alive: copy Data to keep a few bytes
	// of many messages for long.
	Data []byte
	// Binary is true for binary messages, false for text.
	Binary bool
}

// Text returns the data as a string.
func (m Message) Text() string { return string(m.Data) }

// Direction tells packet handlers whether a packet was received or sent.
type Direction uint8

// The packet directions.
const (
	Inbound  Direction = iota // received from the server
	Outbound                  // handed to a transport for the server
)

// String returns "in" or "out".
func (d Direction) String() string {
	if d == Outbound {
		return "out"
	}
	return "in"
}

// Reason says why a session ended.
type Reason = fsm.Reason

// The reasons passed to disconnect handlers.
const (
	ReasonClientDisconnect = fsm.ReasonClientDisconnect
	ReasonServerDisconnect = fsm.ReasonServerDisconnect
	ReasonTransportError   = fsm.ReasonTransportError
	ReasonPingTimeout      = fsm.ReasonPingTimeout
	ReasonProtocolError    = fsm.ReasonProtocolError
)

// State is a lifecycle state of the connection.
type State = fsm.State

// ConnectInfo describes a new session to connect handlers.
type ConnectInfo struct {
	SID          string        // the session id
	Transport    string        // the transport that carried the handshake
	Upgrades     []string      // the transports the server offers to upgrade to
	PingInterval time.Duration // the server's heartbeat period
	PingTimeout  time.Duration // how long past a period the server waits
	MaxPayload   int           // the server's maxPayload in bytes, 0 when unknown
}

// StateChange describes one transition of the lifecycle machine.
type StateChange struct {
	From, To State     // the states before and after
	Event    fsm.Event // the machine's event that caused it
}
