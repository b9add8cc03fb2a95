package client_test

import (
	"context"
	"fmt"
	"log"
	"sync"
	"time"

	"github.com/eio-go/eio/client"
)

// python-engineio's threading helpers map onto Go itself: a goroutine is
// a background task (start_background_task), a channel is a queue
// (create_queue), a receive in a select with a default case is a get that
// finds the queue empty (get_queue_empty_exception), a closed channel is
// an event (create_event), and a timer in a select is a sleep that can be
// cut short (sleep).
func Example_concurrency() {
	c := client.New(nil)
	queue := make(chan string, 16)   // create_queue
	connected := make(chan struct{}) // create_event
	c.OnConnect(func(client.ConnectInfo) { close(connected) })
	c.OnMessage(func(m client.Message) { queue <- m.Text() })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Connect(ctx, serverURL, nil); err != nil {
		log.Fatal(err)
	}
	<-connected // event.wait()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // start_background_task
		defer wg.Done()
		for i := range 3 {
			_ = c.Send(fmt.Sprint("tick ", i))
			select { // sleep(0.01), or stop early with ctx
			case <-time.After(10 * time.Millisecond):
			case <-ctx.Done():
				return
			}
		}
	}()
	wg.Wait() // join the task

	for range 3 {
		fmt.Println(<-queue) // queue.get()
	}
	select {
	case m := <-queue:
		fmt.Println("unexpected", m)
	default: // queue.get_nowait() raising the empty-queue exception
		fmt.Println("queue empty")
	}
	_ = c.Disconnect(ctx)
	// Output:
	// tick 0
	// tick 1
	// tick 2
	// queue empty
}
