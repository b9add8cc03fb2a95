//go:build unix

package client_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/eio-go/eio/client"
)

// Disconnect cleanly on Ctrl-C. The client installs no signal handler of
// its own (python-engineio's handle_sigint): the program decides, here
// with signal.NotifyContext. The example interrupts itself to show it.
func Example_signal() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	c := client.New(nil)
	c.OnDisconnect(func(r client.Reason, err error) { fmt.Println("disconnected:", r) })
	connectCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.Connect(connectCtx, serverURL, nil); err != nil {
		log.Fatal(err)
	}

	_ = syscall.Kill(os.Getpid(), syscall.SIGINT) // as if the user pressed Ctrl-C

	<-ctx.Done() // or: c.Wait(ctx), which returns when either happens
	fmt.Println("interrupted")
	closeCtx, cancelClose := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelClose()
	_ = c.Disconnect(closeCtx)
	_ = c.Wait(closeCtx)
	// Output:
	// interrupted
	// disconnected: client disconnect
}
