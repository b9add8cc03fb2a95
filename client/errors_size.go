package client

import "fmt"

// MessageTooLargeError reports a message that exceeds the server's
// maxPayload once encoded, so that it can never be sent. It matches
// [ErrMessageTooLarge].
type MessageTooLargeError struct {
	Size int // the message's encoded size in a polling payload, in bytes
	Max  int // the server's maxPayload
}

// Error describes the sizes.
func (e *MessageTooLargeError) Error() string {
	return fmt.Sprintf("eio: message too large: %d bytes encoded, server maxPayload is %d", e.Size, e.Max)
}

// Is makes a MessageTooLargeError match [ErrMessageTooLarge].
func (e *MessageTooLargeError) Is(target error) bool { return target == ErrMessageTooLarge }
