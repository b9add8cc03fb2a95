// Package polling is the HTTP long-polling transport of Engine.IO, on
// net/http.
//
// Each Read is one long-poll GET; each Write is one POST whose body is a
// payload of packets. The transport adds EIO, transport=polling, the sid
// and the timestamp parameter to every request, sends the configured
// headers, and reports non-200 answers as [transports.HTTPError]. The
// handshake GET and every POST are bounded by the configured request
// timeout; a long-poll GET of a known session by pingInterval +
// pingTimeout + that timeout. Every response body is read through a
// bound: [HandshakeReadLimit] for the handshake, [DefaultReadLimit] once
// the session is known (a server's maxPayload bounds what it accepts, not
// what it sends: engine.io answers a long-poll with all it has queued);
// the bound applies to the body after its content coding (gzip, deflate)
// is undone. A payload of more than [PartPackets] packets is returned
// over several Reads. It keeps no goroutine of its own: Close cancels
// the requests in flight.
package polling
