package client_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/codec"
)

// Connect, send a message, receive the server's echo, disconnect. In
// these examples serverURL is an Engine.IO server that echoes what it
// receives, such as "http://127.0.0.1:3000".
func Example() {
	c := client.New(nil)
	echoed := make(chan string, 1)
	c.OnMessage(func(m client.Message) { echoed <- m.Text() })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Connect(ctx, serverURL, nil); err != nil {
		log.Fatal(err)
	}
	if err := c.Send("hello"); err != nil {
		log.Fatal(err)
	}
	fmt.Println("received:", <-echoed)
	if err := c.Disconnect(ctx); err != nil {
		log.Fatal(err)
	}
	// Output: received: hello
}

// A []byte travels as a binary message, a string as a text message, and
// any other value as the text of its JSON encoding.
func Example_binary() {
	c := client.New(nil)
	received := make(chan client.Message, 2)
	c.OnMessage(func(m client.Message) { received <- m })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Connect(ctx, serverURL, nil); err != nil {
		log.Fatal(err)
	}
	_ = c.Send([]byte{0x00, 0x01, 0xff})
	_ = c.Send(struct{ X, Y int }{1, 2})
	for range 2 {
		m := <-received
		if m.Binary {
			fmt.Printf("binary: % x\n", m.Data)
		} else {
			fmt.Println("text:", m.Text())
		}
	}
	_ = c.Disconnect(ctx)
	// Output:
	// binary: 00 01 ff
	// text: {"X":1,"Y":2}
}

// Headers and query parameters go on every request of both transports
// and on the WebSocket handshake. The echo server used here answers
// "cmd:handshake" with the request that opened the session.
func Example_headers() {
	c := client.New(&client.Options{
		Header: http.Header{"User-Agent": {"my-app/1.0"}}, // every connection of this client
	})
	answers := make(chan string, 1)
	c.OnMessage(func(m client.Message) { answers <- m.Text() })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.Connect(ctx, serverURL, &client.ConnectOptions{
		Header: http.Header{"Authorization": {"Bearer my-token"}},
		Query:  url.Values{"room": {"lobby"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = c.Send("cmd:handshake")
	var seen struct {
		Headers map[string]string
		Query   map[string]string
	}
	_ = json.Unmarshal([]byte(strings.TrimPrefix(<-answers, "handshake:")), &seen)
	fmt.Println("authorization:", seen.Headers["authorization"])
	fmt.Println("user-agent:", seen.Headers["user-agent"])
	fmt.Println("room:", seen.Query["room"])
	_ = c.Disconnect(ctx)
	// Output:
	// authorization: Bearer my-token
	// user-agent: my-app/1.0
	// room: lobby
}

// Connect over https and wss to a server whose certificate is signed by
// a private CA. Verification stays on; Options.TLSConfig adds the CA (and
// could carry client certificates).
func Example_tls() {
	c := client.New(&client.Options{
		TLSConfig: &tls.Config{RootCAs: serverCA}, // e.g. from x509.SystemCertPool plus your CA
	})
	upgraded := make(chan string, 1)
	c.OnUpgrade(func(transport string) { upgraded <- transport })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Connect(ctx, tlsServerURL, nil); err != nil {
		log.Fatal(err)
	}
	fmt.Println("upgraded to", <-upgraded)
	_ = c.Disconnect(ctx)
	// Output: upgraded to websocket
}

// Go through an HTTP proxy. Without Options.HTTPClient the client takes
// the proxy from HTTPS_PROXY, HTTP_PROXY and NO_PROXY; an explicit one is
// set on the transport of an http.Client. Polling requests and the
// WebSocket both use it.
func Example_proxy() {
	hc := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}}
	c := client.New(&client.Options{HTTPClient: hc})
	echoed := make(chan string, 1)
	c.OnMessage(func(m client.Message) { echoed <- m.Text() })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.Connect(ctx, serverURL, &client.ConnectOptions{Transports: []string{"websocket"}})
	if err != nil {
		log.Fatal(err)
	}
	_ = c.Send("through the proxy")
	fmt.Println(<-echoed)
	_ = c.Disconnect(ctx)
	// Output: through the proxy
}

// Reconnect automatically when the session is lost. Here the server
// closes the session when asked with "cmd:close"; the client connects
// again after the policy's delay.
func Example_reconnect() {
	c := client.New(&client.Options{Reconnect: &client.ReconnectPolicy{
		Initial: 100 * time.Millisecond, Max: 10 * time.Second, Jitter: 0.2, MaxAttempts: 10,
	}})
	c.OnDisconnect(func(r client.Reason, err error) { fmt.Println("disconnected:", r) })
	c.OnReconnecting(func(attempt int, delay time.Duration) { fmt.Println("reconnecting, attempt", attempt) })
	reconnected := make(chan struct{})
	c.OnReconnected(func(attempt int, info client.ConnectInfo) { close(reconnected) })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Connect(ctx, serverURL, nil); err != nil {
		log.Fatal(err)
	}
	_ = c.Send("cmd:close")
	<-reconnected
	fmt.Println("connected again")
	_ = c.Disconnect(ctx) // stops reconnecting too
	_ = c.Wait(ctx)
	// Output:
	// disconnected: server disconnect
	// reconnecting, attempt 1
	// connected again
	// disconnected: client disconnect
}

// Handlers run one at a time, in the order of the events, off the
// client's own goroutine: they may call Send and Disconnect.
func Example_handlers() {
	c := client.New(nil)
	c.OnConnect(func(info client.ConnectInfo) {
		fmt.Println("connected over", info.Transport)
		_ = c.Send("hi from the connect handler")
	})
	c.OnMessage(func(m client.Message) {
		fmt.Println("message:", m.Text())
		_ = c.Disconnect(context.Background())
	})
	c.OnDisconnect(func(r client.Reason, err error) { fmt.Println("disconnected:", r) })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Connect(ctx, serverURL, &client.ConnectOptions{NoUpgrade: true}); err != nil {
		log.Fatal(err)
	}
	_ = c.Wait(ctx) // until the connection is down and the handlers returned
	// Output:
	// connected over polling
	// message: hi from the connect handler
	// disconnected: client disconnect
}

// Choose the transports: only a WebSocket here, without polling first.
// ["websocket", "polling"] would fall back to polling when the WebSocket
// cannot be opened.
func Example_transports() {
	c := client.New(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.Connect(ctx, serverURL, &client.ConnectOptions{Transports: []string{"websocket"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Transport())
	_ = c.Disconnect(ctx)
	// Output: websocket
}

// Trace the packets of a session, for debugging.
func ExampleClient_OnPacket() {
	c := client.New(nil)
	c.OnPacket(func(dir client.Direction, transport string, p codec.Packet) {
		if p.Type != codec.Ping && p.Type != codec.Pong {
			fmt.Println(dir, transport, p.Type)
		}
	})
	echoed := make(chan struct{})
	c.OnMessage(func(client.Message) { close(echoed) })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Connect(ctx, serverURL, &client.ConnectOptions{Transports: []string{"websocket"}}); err != nil {
		log.Fatal(err)
	}
	_ = c.Send("traced")
	<-echoed
	_ = c.Disconnect(ctx)
	_ = c.Wait(ctx)
	// Output:
	// in websocket open
	// out websocket message
	// in websocket message
	// out websocket close
}

// The delays of a policy without jitter.
func ExampleReconnectPolicy_Delay() {
	p := &client.ReconnectPolicy{Initial: time.Second, Max: 10 * time.Second, Multiplier: 2}
	for n := 1; n <= 5; n++ {
		fmt.Println(p.Delay(n))
	}
	// Output:
	// 1s
	// 2s
	// 4s
	// 8s
	// 10s
}
