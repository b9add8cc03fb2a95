// Package client is an Engine.IO client: a [Client] connects to a server,
// sends and receives text and binary messages, and reports the life of the
// connection to handlers.
//
// # Connecting
//
// [New] makes a client from [Options] (nil for the defaults);
// [Client.Connect] opens a session and returns once the server's handshake
// arrived. The session then runs in the background: heartbeats, the
// upgrade from HTTP long-polling to a WebSocket, buffering while it
// switches. [Client.Disconnect] ends it gracefully, [Client.Abort] at
// once, and [Client.Wait] blocks until the connection is down for good.
//
//	c := client.New(nil)
//	c.OnMessage(func(m client.Message) { fmt.Println(m.Text()) })
//	if err := c.Connect(ctx, "https://example.com", nil); err != nil {
//		return err
//	}
//	defer c.Disconnect(context.Background())
//	c.Send("hello")
//
// [ConnectOptions] choose the transports (polling then websocket by
// default; ["websocket"] opens a WebSocket directly; ["websocket",
// "polling"] falls back to polling when the WebSocket cannot be opened),
// the Engine.IO path (default [DefaultPath]), extra headers and query
// parameters, the protocol revision (4, or 3 for old servers) and whether
// to upgrade at all (NoUpgrade). The URL's scheme may be http, https, ws
// or wss; its path is ignored, as in the reference clients.
//
// # Messages
//
// [Client.Send] takes a string (a text message), a []byte (a binary
// message) or any other value, sent as the text of its JSON encoding
// through Options.JSON ([JSONCodec], [StdJSON]). Received messages come
// to [Client.OnMessage] handlers as a [Message]; [Client.DecodeJSON]
// decodes one with the same codec. A message larger than the server's
// maxPayload is refused with a [*MessageTooLargeError].
//
// # Handlers
//
// Handlers may be registered before or after Connect, from any goroutine:
// [Client.OnConnect] (with a [ConnectInfo]), [Client.OnMessage],
// [Client.OnDisconnect] (with a [Reason]: [ReasonClientDisconnect],
// [ReasonServerDisconnect], [ReasonTransportError], [ReasonPingTimeout],
// [ReasonProtocolError]), [Client.OnUpgrade], [Client.OnUpgradeError],
// [Client.OnPing], [Client.OnStateChange] (a [StateChange] of the
// lifecycle machine, in [State] terms), [Client.OnPacket] (every packet in
// and out, with its [Direction], for debugging), and for reconnection
// [Client.OnReconnecting], [Client.OnReconnected] and
// [Client.OnReconnectFailed]. They run one at a time, in the order of
// the events, on a goroutine of the connection and never on a reader or writer,
// so a handler may call Send, Disconnect, Abort or even Connect; it must
// not call Wait, which would wait for the handler itself. A handler that
// blocks delays the handlers after it, not the session: heartbeats go on.
// Once 1,024 handler calls wait, though, the client stops reading from
// the server until they drain to half that (so memory does not grow with
// a slow handler); a handler blocked that long, past the server's
// pingInterval + pingTimeout, ends the session with
// [ReasonPingTimeout].
//
// # Deployment options
//
//   - Headers: Options.Header and ConnectOptions.Header go on every polling
//     request and on the WebSocket handshake.
//   - Cookies and sticky sessions: the default HTTP client has a cookie
//     jar, so an affinity cookie set on the handshake comes back on every
//     later request and on the WebSocket upgrade. That jar keeps at most
//     64 cookies of at most 4,096 bytes each, so a server cannot grow a
//     session's memory with cookies. An injected Options.HTTPClient
//     brings its own jar (or none).
//   - Proxies: the default HTTP client takes them from the environment
//     (HTTPS_PROXY, HTTP_PROXY, NO_PROXY); an injected client's
//     Transport.Proxy is used for polling and the WebSocket alike.
//   - TLS: certificates are verified by default. Options.TLSConfig adds
//     root CAs, client certificates or a server name;
//     Options.InsecureSkipVerify turns verification off and logs a
//     warning.
//   - Timeouts: Options.RequestTimeout (default [DefaultRequestTimeout])
//     bounds the handshake and each POST; a long-poll GET may last the
//     server's pingInterval + pingTimeout + RequestTimeout. Connect's
//     context bounds the whole connection attempt.
//   - Cache busting: polling requests carry a unique "t" parameter,
//     renamed or turned off with Options.TimestampParam.
//   - WebSocket: Options.WebSocketDialOptions passes subprotocols,
//     permessage-deflate compression and other dial options to
//     github.com/coder/websocket.
//   - Options.RememberUpgrade opens a WebSocket directly once a session of
//     the same Client to the same endpoint has used one.
//
// # Reconnection
//
// With Options.Reconnect set to a [ReconnectPolicy], a session that ends
// for any reason but a client disconnect is followed, after a backoff
// delay, by a new one to the same URL with the same options. Disconnect
// and Abort stop it; Wait returns once no session is live and none will
// follow.
//
// # Errors
//
// Connect's failures match [ErrConnect] and are [*ConnectError] values
// whose cause may be a *transports.HTTPError (the server's status, and
// the code and message of its JSON error body), a TLS or network error, a
// context error (errors.Is(err, context.DeadlineExceeded) for a timeout)
// or a protocol error. Bad arguments match [ErrInvalidURL] or
// [ErrInvalidTransports]. Send on a client without a session returns
// [ErrClosed], which also matches net.ErrClosed; [ErrBufferFull] and
// [ErrMessageTooLarge] report what Send cannot accept; Connect on a
// connected client returns [ErrAlreadyConnected]. [Client.Reason] tells
// why the last session ended, with the error behind a failure.
//
// # Logging
//
// The client is silent unless Options.Logger is set; then it logs one Info
// line per state change and a Debug line per packet. It never logs header
// or cookie values; message contents do appear at Debug level.
//
// # Transports
//
// Transports are looked up by name in a transports.Registry
// (Options.Transports, default [DefaultTransports]); registering another
// transports.Registration (an in-memory pipe for tests, say) makes its
// name usable in ConnectOptions.Transports. The lifecycle machine in
// package fsm drives every transport the same way.
//
// # Goroutines
//
// A session has a reader goroutine per open transport and a writer while
// writes are under way; a connection has a handler goroutine while
// handler calls are queued. No goroutine is dedicated to the state
// machine: the goroutine that brings it an input (Send, a reader, a
// writer, a timer) takes the session's lock, feeds the machine and
// carries out what it decided, none of which blocks. A Send that finds
// the WebSocket idle starts the write on its own goroutine, without
// waiting for the network: Send never blocks on I/O. An idle WebSocket
// connection thus keeps one goroutine. All of them end when the
// connection is down: Wait returns after the last one.
//
// The client installs no signal handler (python-engineio's handle_sigint):
// a program that wants to disconnect on Ctrl-C uses signal.NotifyContext,
// as the signal example shows.
package client
