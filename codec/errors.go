package codec

import (
	"errors"
	"fmt"
)

// Sentinels matched by [*Error] with errors.Is.
var (
	// ErrUnknownType reports a packet type outside the seven of the protocol.
	ErrUnknownType = errors.New("unknown packet type")
	// ErrFraming reports a malformed packet, frame or payload.
	ErrFraming = errors.New("bad payload framing")
	// ErrTooLarge reports input or output beyond a caller's size limit.
	ErrTooLarge = errors.New("payload too large")
	// ErrHandshake reports an open packet whose JSON is not a valid handshake.
	ErrHandshake = errors.New("bad handshake")
)

// Error is a decoding or encoding failure. Offset is the byte offset in the
// input where the fault was found: in the frame, body or JSON being
// decoded; for [ReadPayload]'s [ErrTooLarge], the limit; for [CheckPacket],
// in the packet's text form; for [Batch], 0.
type Error struct {
	Kind   error  // one of the package's sentinels
	Offset int    // where in the input the fault is
	Msg    string // what is wrong, for people
}

// Error formats the failure as "codec: <sentinel> at offset <n>: <detail>".
func (e *Error) Error() string {
	return fmt.Sprintf("codec: %v at offset %d: %s", e.Kind, e.Offset, e.Msg)
}

// Unwrap returns the sentinel, so errors.Is matches it.
func (e *Error) Unwrap() error { return e.Kind }

func errorf(kind error, off int, format string, args ...any) *Error {
	return &Error{Kind: kind, Offset: off, Msg: fmt.Sprintf(format, args...)}
}
