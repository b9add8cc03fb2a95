// Package trace turns a recorded HAR into the Engine.IO sessions it holds:
// for each session its handshake and the packets that went each way on
// each transport, in time order.
//
// [FromHAR] builds a [Trace] from a [har.Log]. Requests that are not
// Engine.IO (no EIO and transport query parameters) are skipped; the rest
// are grouped into [Session] values by sid. A session is opened by a
// handshake: a polling GET without sid whose response carries the open
// packet, or a WebSocket without sid whose first received frame is the
// open packet. Every request, response and WebSocket frame becomes an
// [Event] carrying the decoded packets; events are ordered by time.
//
// A [Session] answers the questions replay asks: [Session.Stream] gives the
// packets of one transport and direction, [Session.AppActions] what the
// application sent and when it disconnected, [Session.ServerEvents] how the
// server behaved, and [Session.Ending] how the session ended.
// [Trace.WriteText] renders the whole trace as stable text for golden
// files and debugging.
//
// Malformed Engine.IO content — a body or frame the codec rejects, a
// handshake without an open packet, a revision the codec does not speak —
// is an [*Error] naming the HAR entry and what failed.
//
// What a HAR cannot say, the trace cannot either: WebSocket close frames
// are not recorded, so [WSClose] marks the last moment the entry accounts
// for, not a close frame; a request still pending when the HAR was saved
// has no response event; JSONP polling is not supported. Converting a
// trace back into a HAR is not implemented.
package trace
