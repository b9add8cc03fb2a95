// Package faultproxy is a fault-injecting TCP proxy for tests: it listens
// on 127.0.0.1, forwards every connection to one target (a real server)
// and damages the traffic as the test asks, switchable at any moment with
// [Proxy.Set].
//
// Byte-level faults ([Shape], per direction, in both modes): added
// latency, a bandwidth limit, a connection reset (an RST to both ends)
// after N bytes, garbage bytes inserted after N bytes; and
// [Faults.HalfOpen], which stops forwarding while both sockets stay open.
//
// In [HTTP] mode the proxy also reads the HTTP/1.1 requests and responses
// it carries, so that [Rule]s can answer a request themselves
// ([Answer]: a 500, 502 or 429 with a body), never answer it ([Hang]),
// cut its response short ([Truncate]) or replace its body
// ([ReplaceBody]). Predicates such as [IsHandshake], [IsPoll],
// [IsPost] and [IsWebSocket] select Engine.IO requests. After a WebSocket
// upgrade it reads frames, so that [Faults.DropFrame] can drop some (for
// instance the upgrade probe, with [IsEngineProbe]).
//
//	p := faultproxy.Start(t, peerURL, faultproxy.HTTP)
//	// connect the client to p.URL() ...
//	p.Set(faultproxy.Faults{HalfOpen: true})
//
// [Proxy.Close] closes every connection and waits for every goroutine of
// the proxy. The proxy does not speak TLS, HTTP/2 or pipelined HTTP/1.1,
// and sees compressed WebSocket payloads (permessage-deflate) as they are
// on the wire.
package faultproxy
