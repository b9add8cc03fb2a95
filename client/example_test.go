package client_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/eio-go/eio/client"
)

// The README's usage example: connect, echo one message, disconnect.
func Example() {
	c := client.New(nil)
	c.OnMessage(func(m client.Message) { fmt.Println("received:", m.Text()) })
	c.OnDisconnect(func(r client.Reason, err error) { fmt.Println("disconnected:", r) })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Connect(ctx, "http://127.0.0.1:3000", nil); err != nil {
		log.Fatal(err)
	}
	if err := c.Send("hello"); err != nil {
		log.Fatal(err)
	}
	time.Sleep(time.Second) // let the echo arrive
	_ = c.Disconnect(ctx)
	_ = c.Wait(ctx)
}
