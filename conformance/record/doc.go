// Package record is a recording reverse proxy for Engine.IO traffic: it
// stands between a client and a server on the loopback interface, passes
// every request and WebSocket frame through unchanged, and keeps what it
// saw as a HAR 1.2 log that package trace reads back.
//
// [New] returns a [Proxy] for a target server; it is an [http.Handler].
// Polling requests go through net/http/httputil's reverse proxy with their
// bodies recorded; a WebSocket is accepted from the client, dialled on the
// target, and every frame copied both ways is recorded in Chrome's
// "_webSocketMessages" convention, as browser devtools export it.
// [Proxy.HAR] snapshots the log at any time, [Proxy.WriteFile] writes it,
// and [Serve] runs the proxy on a listener until its context ends and then
// writes the file.
//
// The proxy records at the HTTP level, so it needs nothing from the client
// it observes: a browser, the reference JavaScript client or eio itself.
// It does not do TLS towards the client, HTTP/2, or JSONP polling, and it
// keeps bodies in memory: it is a tool for recording test sessions, not a
// production proxy. WebSocket close frames are passed on but, as in a
// browser's HAR, not recorded.
package record
