// Package websocket is the WebSocket transport of Engine.IO, on
// github.com/coder/websocket.
//
// Each Read returns the packet of one frame; each Write sends one frame per
// packet, text packets as text frames and binary messages as binary frames.
// The handshake request carries the configured headers and goes through
// the configured *http.Client, so its cookie jar, proxy and TLS settings
// apply; it is bounded by the configured request timeout, and a refused
// handshake is reported as a [transports.HTTPError] with the start of the
// server's body. [NewRegistration] adds coder/websocket dial options
// (subprotocols, compression). A frame is read through a bound, after
// permessage-deflate is undone: [HandshakeReadLimit] for the open packet,
// [DefaultReadLimit] after it (a server's maxPayload bounds what it
// accepts, not what it sends). WebSocket handshakes carry no timestamp
// parameter.
package websocket
