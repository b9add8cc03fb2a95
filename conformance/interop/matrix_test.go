package interop

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/peer"
)

// Timings of the matrix.
const (
	maxPayload    = 10000                  // --max-payload of the main peer
	auxInterval   = 250 * time.Millisecond // heartbeat of the aux peer
	auxTimeout    = 750 * time.Millisecond
	auxPath       = "/custom/eio"
	stepTimeout   = 10 * time.Second // bound of one connect, message or close
	pingTimeMagin = 1500 * time.Millisecond
)

// scenarioList is the rows of every table, in order.
var scenarioList = []Scenario{
	{"connect", "handshake over the mode's first transport; the session has a sid, and in upgrade mode reaches websocket"},
	{"text-echo", "text messages (ASCII, multi-byte, an emoji, text that looks like a packet or JSON) come back unchanged and in order (the empty message is D12's)"},
	{"binary-echo", "binary from the client comes back as binary; 300 bytes the server generates (cmd:binary:300) arrive intact"},
	{"burst-1000", "1,000 server messages sent at once (cmd:burst:1000) all arrive, in order"},
	{"max-payload", fmt.Sprintf("one message as large as the server accepts (--max-payload %d: %d bytes of text in v4; in v3 polling the length prefix counts too) is delivered and echoed", maxPayload, maxPayload-1)},
	{"over-max-payload", fmt.Sprintf("a %d-byte message: Send refuses it with ErrMessageTooLarge when the handshake gave maxPayload, else the session ends (transport error or server disconnect) instead of hanging", maxPayload)},
	{"server-close", "the server closes the session (cmd:close): the client reports server disconnect"},
	{"client-close", "Disconnect: the client reports client disconnect and the server logs a clean close (transport close), not a timeout"},
	{"heartbeat", fmt.Sprintf("pingInterval %v, pingTimeout %v: at least 4 heartbeats pass with no timeout", auxInterval, auxTimeout)},
	{"ping-timeout", fmt.Sprintf("the server is frozen (SIGSTOP): the client reports ping timeout within pingInterval + pingTimeout + %v", pingTimeMagin)},
	{"server-restart", "the server is killed (SIGKILL) and restarted on the same port mid-session: the client reports transport error"},
	{"unknown-sid", "a polling GET (transports/polling) or WebSocket dial (transports/websocket) with an unknown sid fails with an error carrying the HTTP status and the server's message"},
	{"wrong-revision", "Connect with the revision the server does not speak fails with ErrConnect and a clear cause"},
	{"path-headers-query", "custom path " + auxPath + "/, a header and a query parameter (with a space) reach the server (cmd:handshake) and the session echoes"},
	{"upgrade-under-load", "300 numbered messages sent from the moment Connect returns, across the upgrade: the server counts all, none twice, in order (upgrade mode only)"},
	{"path-no-slash", "ConnectOptions.Path " + auxPath + " without the trailing slash, as engine.io-client's path option is usually written, reaches the server"},
}

// target is one row group of the matrix: a peer and a revision.
type target struct {
	kind peer.Kind
	rev  codec.Revision
}

func (tg target) String() string { return fmt.Sprintf("%s-v%d", tg.kind, int(tg.rev)) }

// targets lists every peer with both revisions; rows a peer cannot speak
// become impossible cells.
func targets() []target {
	var out []target
	for _, k := range peer.Kinds() {
		out = append(out, target{k, codec.V4}, target{k, codec.V3})
	}
	return out
}

// env is what the cells of one target share.
type env struct {
	tg   target
	main *peer.Peer // default heartbeat, --max-payload
	aux  *peer.Peer // short heartbeat, custom path; paused and restarted
}

// allowEIO3 reports whether the target's peers need --allow-eio3.
func (tg target) allowEIO3() bool {
	return tg.rev == codec.V3 && slices.Contains(peer.Revisions(tg.kind), 4)
}

// TestMatrix runs every cell. Targets run in parallel; the cells of a
// target run one after another, except the ping-timeout and server-restart
// cells, which share one frozen or killed server across the three modes.
func TestMatrix(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.String(), func(t *testing.T) {
			t.Parallel()
			if !slices.Contains(peer.Revisions(tg.kind), int(tg.rev)) {
				why := fmt.Sprintf("%s speaks only protocol %s", tg.kind, revisionsText(peer.Revisions(tg.kind)))
				if tg.kind == peer.Python {
					why = "python-engineio 4 speaks only protocol v4: a handshake with EIO=3 is refused with HTTP 400 (see wrong-revision in the v4 row)"
				}
				for _, s := range scenarioList {
					for _, m := range Modes {
						recordCell(t, Cell{Peer: string(tg.kind), Revision: int(tg.rev), Scenario: s.ID, Mode: m, Outcome: Impossible, Note: why})
					}
				}
				return
			}
			e := &env{tg: tg}
			e.main = peer.Start(t, tg.kind, peer.Options{MaxPayload: maxPayload, AllowEIO3: tg.allowEIO3()})
			e.aux = peer.Start(t, tg.kind, peer.Options{PingInterval: auxInterval, PingTimeout: auxTimeout, Path: auxPath, AllowEIO3: tg.allowEIO3()})
			for _, s := range scenarioList {
				switch s.ID {
				case "ping-timeout":
					e.group(t, s.ID, e.pingTimeout)
				case "server-restart":
					e.group(t, s.ID, e.serverRestart)
				default:
					for _, m := range Modes {
						e.cell(t, s.ID, m)
					}
				}
			}
		})
	}
}

func revisionsText(revs []int) string {
	s := ""
	for i, r := range revs {
		if i > 0 {
			s += " and "
		}
		s += fmt.Sprintf("v%d", r)
	}
	return s
}

// cell runs one sequential cell.
func (e *env) cell(t *testing.T, scenario, mode string) {
	c := Cell{Peer: string(e.tg.kind), Revision: int(e.tg.rev), Scenario: scenario, Mode: mode}
	if na := e.notApplicable(scenario, mode); na != "" {
		c.Outcome, c.Note = NotApplicable, na
		recordCell(t, c)
		return
	}
	body := e.bodies()[scenario]
	runCell(t, c, knownFailure(c), func(ct *cellT) { body(ct, mode) })
}

// notApplicable says why a scenario has no distinct case, or "".
func (e *env) notApplicable(scenario, mode string) string {
	switch {
	case scenario == "upgrade-under-load" && mode != "upgrade":
		return "only the upgrade mode changes transport mid-session"
	case scenario == "unknown-sid" && mode == "upgrade":
		return "an unknown sid fails the first request of a transport; the polling and websocket cells cover both"
	case scenario == "wrong-revision" && e.tg.allowEIO3():
		return "this row's server runs with --allow-eio3 and speaks both revisions; the v4 row, whose server does not, covers the refusal"
	}
	return ""
}

// group runs the three modes of a scenario at once against the aux peer:
// each mode's session connects and calls armed once it is ready; when all
// are armed (or have ended early), the server is frozen or killed once,
// and each checks how its session ended. acted waits (bounded) for that
// moment and returns it. The three bodies run as goroutines of one
// subtest, each recorded as its own cell.
func (e *env) group(t *testing.T, scenario string, body func(ct *cellT, mode string, armed func(), acted func() time.Time)) {
	t.Run(scenario, func(t *testing.T) {
		var ready sync.WaitGroup
		ready.Add(len(Modes))
		done := make(chan struct{})
		var at time.Time // written before done is closed
		go func() {
			defer close(done)
			ready.Wait()
			at = time.Now()
			switch scenario {
			case "ping-timeout":
				if err := e.aux.Pause(); err != nil {
					t.Errorf("pause: %v", err)
				}
			case "server-restart":
				if err := e.aux.Kill(); err != nil {
					t.Errorf("kill: %v", err)
				}
				if err := e.aux.Restart(t); err != nil {
					t.Errorf("restart: %v", err)
				}
			}
		}()
		acted := func(ct *cellT) time.Time {
			select {
			case <-done:
				return at
			case <-time.After(2 * stepTimeout):
				ct.Fatalf("the %s action never happened", scenario)
				return time.Time{}
			}
		}
		cts := make([]*cellT, len(Modes))
		took := make([]time.Duration, len(Modes))
		var wg sync.WaitGroup
		for i, m := range Modes {
			wg.Go(func() {
				start := time.Now()
				cts[i] = execute(t, func(ct *cellT) {
					var once sync.Once
					armed := func() { once.Do(ready.Done) }
					defer armed() // a session that fails early must not hold the others
					body(ct, m, armed, func() time.Time { return acted(ct) })
				})
				took[i] = time.Since(start)
			})
		}
		wg.Wait()
		<-done
		if scenario == "ping-timeout" {
			if err := e.aux.Resume(); err != nil {
				t.Errorf("resume: %v", err)
			}
		}
		for i, m := range Modes {
			c := Cell{Peer: string(e.tg.kind), Revision: int(e.tg.rev), Scenario: scenario, Mode: m}
			t.Run(m, func(t *testing.T) { finish(t, c, knownFailure(c), cts[i], took[i]) })
		}
	})
}

// dial connects a client to p in mode; in upgrade mode it waits for the
// upgrade. The client is aborted when the cell ends.
func (e *env) dial(ct *cellT, p *peer.Peer, mode string, opts *client.ConnectOptions) (*client.Client, *recorder) {
	ct.Helper()
	c := client.New(nil)
	rec := record(c)
	if opts == nil {
		opts = &client.ConnectOptions{}
	}
	opts.Transports = transportsOf(mode)
	opts.Revision = e.tg.rev
	if p == e.aux {
		opts.Path = auxPath + "/"
	}
	ct.Cleanup(c.Abort)
	err := c.Connect(ctxFor(ct, stepTimeout), p.URL, opts)
	if err != nil {
		ct.Fatalf("connect (%s): %v", mode, err)
	}
	rec.connected(ct, stepTimeout)
	if mode == "upgrade" {
		if got := rec.upgraded(ct, stepTimeout); got != "websocket" {
			ct.Fatalf("upgraded to %q, want websocket", got)
		}
	}
	return c, rec
}

func transportsOf(mode string) []string {
	switch mode {
	case "polling":
		return []string{"polling"}
	case "websocket":
		return []string{"websocket"}
	default:
		return []string{"polling", "websocket"}
	}
}
