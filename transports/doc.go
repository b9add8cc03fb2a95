// Package transports defines how the client moves Engine.IO packets over
// the network: the [Transport] interface, the [Config] a transport is
// opened with, a [Registry] of transports by name, and the [HTTPError] a
// transport reports for an unexpected HTTP answer.
//
// Transports are dumb pipes. They know the wire — URLs and query
// parameters, headers, cookies, TLS, HTTP long-polling, WebSocket frames —
// and nothing of heartbeats, upgrades or disconnect reasons, which belong to
// package fsm. The implementations live in the sub-packages polling and
// websocket; tests and users can add their own by registering them.
package transports
