// Command goserver is the Engine.IO conformance peer built on the Go server
// github.com/zishang520/socket.io/servers/engine/v3. It takes the flags of
// the Node peers (conformance/peers/README.md), serves the same command
// vocabulary and /peer/sessions, and prints exactly one stdout line,
// "LISTENING <port>", once it listens; everything else goes to stderr.
//
// It lives in its own module so that the library's go.mod does not carry
// the server's dependencies; conformance/peers/install.sh builds it into
// conformance/peers/goserver/bin/goserver.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	engine "github.com/zishang520/socket.io/servers/engine/v3"
	"github.com/zishang520/socket.io/servers/engine/v3/config"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// flags are the command line, as in conformance/peers/common.js.
type flags struct {
	host           string
	port           int
	path           string
	pingInterval   int
	pingTimeout    int
	maxPayload     int
	transports     string
	noUpgrades     bool
	allowEIO3      bool
	cookie         string
	serverCookie   bool
	upgradeTimeout int
	verbose        bool
	ignoreStdin    bool
}

func parseFlags(args []string) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("goserver", flag.ContinueOnError)
	fs.StringVar(&f.host, "host", "127.0.0.1", "address to listen on")
	fs.IntVar(&f.port, "port", 0, "port, 0 picks a free one")
	fs.StringVar(&f.path, "path", "/engine.io", "engine.io path")
	fs.IntVar(&f.pingInterval, "ping-interval", 0, "pingInterval in ms")
	fs.IntVar(&f.pingTimeout, "ping-timeout", 0, "pingTimeout in ms")
	fs.IntVar(&f.maxPayload, "max-payload", 0, "maxHttpBufferSize in bytes")
	fs.StringVar(&f.transports, "transports", "", "comma separated, e.g. polling,websocket")
	fs.BoolVar(&f.noUpgrades, "no-upgrades", false, "allowUpgrades = false")
	fs.BoolVar(&f.allowEIO3, "allow-eio3", false, "accept protocol v3 clients")
	fs.StringVar(&f.cookie, "cookie", "", "set a cookie NAME=<sid> on the handshake")
	fs.BoolVar(&f.serverCookie, "server-cookie", false, "set --cookie with the server's own option, which leaves its value empty")
	fs.IntVar(&f.upgradeTimeout, "upgrade-timeout", 0, "upgradeTimeout in ms")
	fs.BoolVar(&f.verbose, "verbose", false, "log connections and closes to stderr")
	fs.BoolVar(&f.ignoreStdin, "ignore-stdin", false, "do not exit when stdin closes")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	switch {
	case fs.NArg() > 0:
		return f, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case f.port < 0 || f.port > 65535:
		return f, fmt.Errorf("port %d is out of range", f.port)
	case f.pingInterval < 0 || f.pingTimeout < 0 || f.maxPayload < 0 || f.upgradeTimeout < 0:
		return f, errors.New("durations and sizes must not be negative")
	case !strings.HasPrefix(f.path, "/"):
		return f, errors.New(`flag -path must start with "/"`)
	case strings.TrimRight(f.path, "/") == "/peer":
		return f, errors.New("flag -path must not be /peer")
	}
	return f, nil
}

// options maps the flags onto the server's options.
func (f flags) options() (*config.ServerOptions, error) {
	o := config.DefaultServerOptions()
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	if f.pingInterval > 0 {
		o.SetPingInterval(ms(f.pingInterval))
	}
	if f.pingTimeout > 0 {
		o.SetPingTimeout(ms(f.pingTimeout))
	}
	if f.maxPayload > 0 {
		o.SetMaxHttpBufferSize(int64(f.maxPayload))
	}
	if f.upgradeTimeout > 0 {
		o.SetUpgradeTimeout(ms(f.upgradeTimeout))
	}
	if f.transports != "" {
		set := types.NewSet[engine.TransportCtor]()
		for _, name := range strings.Split(f.transports, ",") {
			switch strings.TrimSpace(name) {
			case "polling":
				set.Add(engine.Polling)
			case "websocket":
				set.Add(engine.WebSocket)
			case "":
			default:
				return nil, fmt.Errorf("unknown transport %q", name)
			}
		}
		if set.Len() == 0 {
			return nil, errors.New("flag -transports needs at least one transport")
		}
		o.SetTransports(set)
	}
	if f.noUpgrades {
		o.SetAllowUpgrades(false)
	}
	if f.allowEIO3 {
		o.SetAllowEIO3(true)
	}
	if f.serverCookie && f.cookie != "" {
		o.SetCookie(&http.Cookie{Name: f.cookie})
	}
	return o, nil
}

// newServer returns the engine server. With a cookie name it sets the
// handshake cookie NAME=<sid> itself: the server's own cookie option
// (ServerOptions.SetCookie) sends the configured cookie as it is, so its
// value would be empty rather than the session id as in engine.io.
func newServer(opts *config.ServerOptions, cookie string) engine.Server {
	if cookie == "" {
		return engine.NewServer(opts)
	}
	inner := engine.MakeServer()
	s := &sidCookieServer{Server: inner}
	inner.Prototype(s)
	inner.Construct(opts)
	_ = inner.On("initial_headers", func(args ...any) {
		if len(args) < 2 {
			return
		}
		headers, ok1 := args[0].(*types.ParameterBag)
		ctx, ok2 := args[1].(*types.HttpContext)
		if !ok1 || !ok2 {
			return
		}
		if id, ok := s.ids.LoadAndDelete(ctx); ok {
			c := &http.Cookie{Name: cookie, Value: id.(string), Path: "/", SameSite: http.SameSiteLaxMode}
			headers.Set("Set-Cookie", c.String())
		}
	})
	return inner
}

// sidCookieServer remembers the session id generated for each handshake
// request, for the cookie.
type sidCookieServer struct {
	engine.Server
	ids sync.Map // *types.HttpContext → sid
}

// GenerateId generates the id as the server would and remembers it.
func (s *sidCookieServer) GenerateId(ctx *types.HttpContext) string {
	id := s.Server.GenerateId(ctx)
	s.ids.Store(ctx, id)
	return id
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	f, err := parseFlags(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "goserver:", err)
		return 2
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "[goserver] %s %s\n", time.Now().UTC().Format(time.RFC3339Nano), fmt.Sprintf(format, a...))
	}
	vlogf := func(string, ...any) {}
	if f.verbose {
		vlogf = logf
	}
	opts, err := f.options()
	if err != nil {
		fmt.Fprintln(os.Stderr, "goserver:", err)
		return 2
	}
	cookie := f.cookie
	if f.serverCookie {
		cookie = "" // the server's own option sets it
	}
	eio := newServer(opts, cookie)
	p := newPeer(eio, vlogf)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /peer/sessions", p.serveSessions)
	mux.Handle(strings.TrimRight(f.path, "/")+"/", eio)

	ln, err := net.Listen("tcp", net.JoinHostPort(f.host, strconv.Itoa(f.port)))
	if err != nil {
		// The Go launcher looks for EADDRINUSE to retry a held port.
		if errors.Is(err, syscall.EADDRINUSE) {
			logf("listen: %v (EADDRINUSE)", err)
		} else {
			logf("listen: %v", err)
		}
		return 1
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	port := ln.Addr().(*net.TCPAddr).Port
	fmt.Fprintf(os.Stdout, "LISTENING %d\n", port)
	logf("engine %s listening on http://%s:%d%s", serverVersion(), f.host, port, f.path)

	stop := make(chan string, 4)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	go func() { stop <- (<-sigs).String() }()
	if !f.ignoreStdin {
		// The parent holds our stdin open; EOF means it went away.
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop <- "stdin closed"
		}()
	}
	select {
	case why := <-stop:
		vlogf("shutting down: %s", why)
	case err := <-served:
		logf("server error: %v", err)
		return 1
	}
	eio.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	return 0
}
