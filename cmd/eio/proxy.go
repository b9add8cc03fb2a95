package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/record"
)

// proxyCmd runs the recording proxy until SIGINT or SIGTERM, then writes
// the HAR.
func proxyCmd(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runProxy(ctx, args, stdout, stderr)
}

// runProxy is proxyCmd with the context that ends the recording given.
func runProxy(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("eio proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on (host:port; port 0 picks a free one)")
	target := fs.String("target", "", "URL of the Engine.IO server to forward to, e.g. http://127.0.0.1:3000")
	out := fs.String("o", "", "HAR file to write when the proxy stops (required)")
	verbose := fs.Bool("v", false, "log every recorded exchange on stderr")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: eio proxy -target URL -o out.har [-listen 127.0.0.1:PORT] [-v]")
		fmt.Fprintln(stderr, "Records the traffic between a client and the target as a HAR; stop it with SIGINT or SIGTERM.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if *target == "" || *out == "" || fs.NArg() != 0 {
		fs.Usage()
		return exitUsage
	}
	opts := &record.Options{}
	if *verbose {
		opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	p, err := record.New(*target, opts)
	if err != nil {
		fmt.Fprintf(stderr, "eio proxy: %v\n", err)
		return exitUsage
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "eio proxy: %v\n", err)
		return exitFail
	}
	// One line on stdout, so scripts can find the port.
	fmt.Fprintf(stdout, "LISTENING %s\n", ln.Addr().String())
	if f, ok := stdout.(interface{ Sync() error }); ok {
		_ = f.Sync()
	}
	if err := record.Serve(ctx, ln, p, *out); err != nil {
		fmt.Fprintf(stderr, "eio proxy: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(stderr, "eio proxy: wrote %s (%d entries)\n", *out, len(p.HAR().Entries))
	return exitOK
}

// recordPackets makes c report its packets to a HAR recorder for
// connect -record, and returns the function that writes the file once the
// session is over.
func recordPackets(c *client.Client, rawURL string, f *connectFlags) (func(io.Writer), error) {
	rec, err := record.NewPackets(rawURL, f.path, codec.Revision(f.eio))
	if err != nil {
		return nil, err
	}
	c.OnPacket(func(d client.Direction, transport string, p codec.Packet) {
		rec.Packet(d == client.Outbound, transport, p)
	})
	return func(stderr io.Writer) {
		// Handlers have all run once the session is over.
		_ = c.Wait(context.Background())
		reason, _ := c.Reason()
		rec.End(reason == client.ReasonServerDisconnect)
		if err := rec.WriteFile(f.record); err != nil {
			fmt.Fprintf(stderr, "eio connect: -record: %v\n", err)
		}
	}, nil
}
