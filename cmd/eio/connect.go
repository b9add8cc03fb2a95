package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/codec"
)

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ", ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

type connectFlags struct {
	transports  string
	eio         int
	path        string
	headers     multiFlag
	sends       multiFlag
	sendBinary  multiFlag
	expect      int
	linger      time.Duration
	timeout     time.Duration
	json        bool
	record      string
	binaryBytes [][]byte
	header      http.Header
}

func parseConnect(args []string, stderr io.Writer) (*connectFlags, string, error) {
	f := &connectFlags{}
	fs := flag.NewFlagSet("eio connect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.transports, "transports", "polling,websocket",
		"comma-separated, in upgrade order; \"websocket\" alone opens a WebSocket directly, \"polling\" alone never upgrades")
	fs.IntVar(&f.eio, "eio", 4, "protocol revision, 4 or 3")
	fs.StringVar(&f.path, "path", client.DefaultPath, "Engine.IO path")
	fs.Var(&f.headers, "H", "extra request header \"Name: value\", repeatable")
	fs.Var(&f.sends, "send", "text message to send once connected, repeatable, in order")
	fs.Var(&f.sendBinary, "send-binary", "base64 of a binary message to send once connected, repeatable, after -send ones")
	fs.IntVar(&f.expect, "expect", 0, "disconnect after N messages are received (0: stay until the server ends it, -linger runs out, or -timeout)")
	fs.DurationVar(&f.linger, "linger", 0, "once the sends are done and -expect is met, stay connected this long, then disconnect")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "give up after this long")
	fs.BoolVar(&f.json, "json", false, "print events as JSON lines on stdout")
	fs.StringVar(&f.record, "record", "", "write the session's packets as a HAR to this file when it ends (see docs/tracing.md)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: eio connect [flags] URL")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, "", err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return nil, "", errors.New("connect takes exactly one URL")
	}
	if f.eio != 3 && f.eio != 4 {
		return nil, "", fmt.Errorf("-eio must be 3 or 4, not %d", f.eio)
	}
	if f.expect < 0 || f.linger < 0 || f.timeout <= 0 {
		return nil, "", errors.New("-expect and -linger must not be negative, -timeout must be positive")
	}
	f.header = http.Header{}
	for _, h := range f.headers {
		name, value, ok := strings.Cut(h, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return nil, "", fmt.Errorf("-H %q: want \"Name: value\"", h)
		}
		f.header.Add(name, strings.TrimSpace(value))
	}
	for _, b := range f.sendBinary {
		data, err := base64.StdEncoding.DecodeString(b)
		if err != nil {
			return nil, "", fmt.Errorf("-send-binary %q: %v", b, err)
		}
		f.binaryBytes = append(f.binaryBytes, data)
	}
	return f, fs.Arg(0), nil
}

func connectCmd(args []string, stdout, stderr io.Writer) int {
	f, rawURL, err := parseConnect(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "eio connect: %v\n", err)
		return exitUsage
	}
	out := newPrinter(stdout, f.json)
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
	defer cancel()

	c := client.New(nil)
	if f.record != "" {
		rec, err := recordPackets(c, rawURL, f)
		if err != nil {
			fmt.Fprintf(stderr, "eio connect: -record: %v\n", err)
			return exitUsage
		}
		defer rec(stderr)
	}
	var (
		mu       sync.Mutex
		received int
		met      = make(chan struct{})
		metOnce  sync.Once
	)
	if f.expect == 0 {
		metOnce.Do(func() { close(met) })
	}
	c.OnStateChange(func(ch client.StateChange) {
		out.event("state", "from", string(ch.From), "to", string(ch.To))
	})
	c.OnConnect(func(info client.ConnectInfo) {
		out.event("connect", "sid", info.SID, "transport", info.Transport)
	})
	c.OnUpgrade(func(transport string) { out.event("upgrade", "transport", transport) })
	c.OnUpgradeError(func(err error) { out.event("error", "error", "upgrade: "+err.Error()) })
	c.OnMessage(func(m client.Message) {
		if m.Binary {
			out.event("message", "binary", true, "data", base64.StdEncoding.EncodeToString(m.Data))
		} else {
			out.event("message", "binary", false, "data", m.Text())
		}
		mu.Lock()
		received++
		if f.expect > 0 && received >= f.expect {
			metOnce.Do(func() { close(met) })
		}
		mu.Unlock()
	})
	var endReason client.Reason
	var endErr error
	c.OnDisconnect(func(r client.Reason, err error) {
		endReason, endErr = r, err
		out.event("disconnect", "reason", string(r))
	})

	opts := &client.ConnectOptions{
		Header:     f.header,
		Transports: splitList(f.transports),
		Path:       f.path,
		Revision:   codec.Revision(f.eio),
	}
	if err := c.Connect(ctx, rawURL, opts); err != nil {
		_ = c.Wait(context.Background())
		out.event("error", "error", err.Error())
		if errors.Is(err, client.ErrInvalidURL) || errors.Is(err, client.ErrInvalidTransports) {
			return exitUsage
		}
		return exitFail
	}
	for _, s := range f.sends {
		if err := c.Send(s); err != nil {
			out.event("error", "error", "send: "+err.Error())
		}
	}
	for _, b := range f.binaryBytes {
		if err := c.Send(b); err != nil {
			out.event("error", "error", "send: "+err.Error())
		}
	}

	ended := make(chan struct{})
	go func() {
		_ = c.Wait(context.Background())
		close(ended)
	}()
	lingerDone := func() <-chan time.Time {
		if f.expect == 0 && f.linger == 0 {
			return nil // stay until the server ends it or -timeout
		}
		select {
		case <-met:
		case <-ended:
			return nil
		case <-ctx.Done():
			return nil
		}
		return time.After(f.linger)
	}()
	select {
	case <-ended:
	case <-lingerDone:
		_ = c.Disconnect(context.Background())
		<-ended
	case <-ctx.Done():
		c.Abort()
		<-ended
		out.event("error", "error", fmt.Sprintf("timeout after %v", f.timeout))
		return exitFail
	}
	switch endReason {
	case client.ReasonClientDisconnect, client.ReasonServerDisconnect:
		return exitOK
	}
	if endErr != nil {
		out.event("error", "error", endErr.Error())
	}
	return exitFail
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
