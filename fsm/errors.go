package fsm

import (
	"errors"
	"fmt"

	"github.com/eio-go/eio/codec"
)

// Sentinels carried by [Finished], [UpgradeFailed] and [SendFailed].
var (
	// ErrProtocol matches every violation of the protocol by the server.
	ErrProtocol = errors.New("protocol error")
	// ErrPingTimeout reports that the server's heartbeat stopped.
	ErrPingTimeout = errors.New("ping timeout")
	// ErrProbe reports a failed upgrade probe.
	ErrProbe = errors.New("upgrade probe failed")
	// ErrClosed reports packets sent after the session ended or began to
	// close.
	ErrClosed = errors.New("session closed")
	// ErrAborted reports a connection attempt ended by [Disconnect].
	ErrAborted = errors.New("connection attempt aborted")
)

// ProtocolError describes a packet or sequence the protocol does not allow
// in the state it arrived in. It matches [ErrProtocol].
type ProtocolError struct {
	State  State
	Role   Role
	Packet *codec.Packet // nil when the fault is not one packet
	Msg    string
	Err    error // an underlying cause, such as a codec error
}

func (e *ProtocolError) Error() string {
	s := "protocol error in state " + string(e.State) + " on " + e.Role.String() + " transport: " + e.Msg
	if e.Packet != nil {
		s += fmt.Sprintf(" (packet %s)", e.Packet)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is makes a ProtocolError match [ErrProtocol].
func (e *ProtocolError) Is(target error) bool { return target == ErrProtocol }

// Unwrap returns the underlying cause.
func (e *ProtocolError) Unwrap() error { return e.Err }
