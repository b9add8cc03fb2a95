package client

import "fmt"

// tooLargeError reports a message that exceeds maxPayload; it matches
// [ErrMessageTooLarge].
type tooLargeError struct{ size, max int }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("eio: message too large: %d bytes encoded, server maxPayload is %d", e.size, e.max)
}

func (e *tooLargeError) Is(target error) bool { return target == ErrMessageTooLarge }
