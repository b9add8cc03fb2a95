package client

import (
	"errors"
	"fmt"
	"net"
	"net/url"
)

// closedError is the type of [ErrClosed]; it also matches net.ErrClosed.
type closedError struct{}

// Error returns the message of [ErrClosed].
func (closedError) Error() string { return "eio: client is not connected" }

// Is makes [ErrClosed] match net.ErrClosed.
func (closedError) Is(target error) bool { return target == net.ErrClosed }

// Sentinels for errors.Is.
var (
	// ErrClosed is returned by Send and Disconnect when the client has no
	// open session: before Connect, while closing, or after the session
	// ended. It also matches net.ErrClosed.
	ErrClosed error = closedError{}
	// ErrAlreadyConnected is returned by Connect while a session is live.
	ErrAlreadyConnected = errors.New("eio: client is already connected")
	// ErrInvalidURL reports a URL Connect cannot use.
	ErrInvalidURL = errors.New("eio: invalid URL")
	// ErrInvalidTransports reports an empty, duplicated or unknown
	// transport list.
	ErrInvalidTransports = errors.New("eio: invalid transport list")
	// ErrMessageTooLarge reports a message that exceeds the server's
	// maxPayload and so can never be sent.
	ErrMessageTooLarge = errors.New("eio: message too large")
	// ErrBufferFull reports a Send refused because the write buffer holds
	// Options.MaxBufferedBytes already: the server is not reading.
	ErrBufferFull = errors.New("eio: write buffer full")
	// ErrConnect matches every error returned by a failed Connect.
	ErrConnect = errors.New("eio: connection failed")
)

// ConnectError reports a failed Connect. It matches [ErrConnect] and
// unwraps to the cause: a *transports.HTTPError for an HTTP refusal, an
// *fsm.ProtocolError for a bad handshake, a context error for a timeout,
// or a network error.
type ConnectError struct {
	URL string // the Engine.IO endpoint, query included
	Err error  // the cause; errors.Join of each attempt's when several were made
}

// Error returns "eio: connect URL: cause", with the password of the URL's
// user info, if any, printed as "xxxxx", as net/http prints URLs in its
// errors: the message may be logged.
func (e *ConnectError) Error() string {
	u := e.URL
	if pu, err := url.Parse(u); err == nil {
		u = pu.Redacted()
	}
	return fmt.Sprintf("eio: connect %s: %v", u, e.Err)
}

// Unwrap returns the cause.
func (e *ConnectError) Unwrap() error { return e.Err }

// Is makes a ConnectError match [ErrConnect].
func (e *ConnectError) Is(target error) bool { return target == ErrConnect }
