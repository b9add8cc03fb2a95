package record

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// shutdownGrace bounds how long Serve waits for requests in flight once
// its context ends.
const shutdownGrace = 2 * time.Second

// Serve runs p on ln until ctx ends, then stops accepting, ends the
// WebSocket relays, waits briefly for polling requests in flight and
// writes the HAR to the file called out (nothing is written when out is
// empty). It returns the error that stopped the server, if any other than
// ctx ending, joined with the error of writing the file.
func Serve(ctx context.Context, ln net.Listener, p *Proxy, out string) error {
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	_ = p.Close()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	if serveErr == nil {
		serveErr = <-errc
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	if out == "" {
		return serveErr
	}
	if err := p.WriteFile(out); err != nil {
		return errors.Join(serveErr, fmt.Errorf("record: writing %s: %w", out, err))
	}
	return serveErr
}
