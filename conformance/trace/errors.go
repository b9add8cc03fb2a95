package trace

import "strconv"

// Error is Engine.IO content in a HAR entry that cannot be decoded or
// does not fit the protocol.
type Error struct {
	// Entry is the index of the HAR entry in log.entries.
	Entry int
	// What names the part of the entry that failed, e.g. "polling GET
	// response body" or "websocket message 3".
	What string
	// Err is the cause, often a [*codec.Error].
	Err error
}

// Error renders the error as "trace: entries[3]: what: cause".
func (e *Error) Error() string {
	return "trace: entries[" + strconv.Itoa(e.Entry) + "]: " + e.What + ": " + e.Err.Error()
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }
