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
	echoed := make(chan string, 1)
	c.OnMessage(func(m client.Message) { echoed <- m.Text() })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Connect(ctx, "http://127.0.0.1:3000", nil); err != nil {
		log.Fatal(err)
	}
	if err := c.Send("hello"); err != nil {
		log.Fatal(err)
	}
	fmt.Println("received:", <-echoed)
	if err := c.Disconnect(ctx); err != nil {
		log.Fatal(err)
	}
}
