package replay

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/fsm"
)

// Options configure a wire-level replay. A nil *Options means defaults.
type Options struct {
	// Speed divides the recorded delays between events: 2 replays twice
	// as fast. Zero means 1; values below 1 count as 1, so a replay never
	// takes longer than the recording; +Inf means no delays at all. When
	// Speed is not 1 the heartbeat timings of the open packet are divided
	// by it too, so that the client's timers keep pace.
	Speed float64
	// Patience bounds how long the replay waits for a client packet the
	// recording shows, beyond the recorded delay. Zero means 5 s.
	Patience time.Duration
	// Client is the base configuration of the client under test (its
	// HTTP client, logger, timeouts). Nil means defaults.
	Client *client.Options
	// Log receives one line per step as the replay goes; nil means none.
	Log io.Writer
}

func (o *Options) speed() float64 {
	if o == nil || o.Speed == 0 || math.IsNaN(o.Speed) || o.Speed < 1 {
		return 1
	}
	return o.Speed
}

// scale divides a recorded delay by speed.
func scale(d time.Duration, speed float64) time.Duration {
	if d <= 0 || math.IsInf(speed, 1) {
		return 0
	}
	return time.Duration(float64(d) / speed)
}

// Transition is one state change of the client, at a time relative to the
// start of the replay.
type Transition struct {
	At       time.Duration
	From, To fsm.State
	Event    fsm.Event
}

// Report is the outcome of a replay.
type Report struct {
	// Case names the replayed session.
	Case string
	// Divergence is the first difference found; nil when the client
	// conformed.
	Divergence *Divergence
	// Expected and Got are the client packets per transport: recorded and
	// sent by the client under test.
	Expected, Got map[string][]codec.Packet
	// Transitions lists the client's state changes in order.
	Transitions []Transition
	// Reason and Err say how the client's session ended ("" if it was
	// still live when the replay stopped it).
	Reason client.Reason
	Err    error
	// Upgrades lists the transports the client upgraded to, and
	// UpgradeErrors the upgrades it abandoned.
	Upgrades      []string
	UpgradeErrors []string
	// Messages counts the messages the client delivered to the
	// application.
	Messages int
	// Duration is how long the replay took.
	Duration time.Duration
}

// OK reports whether the client conformed.
func (r *Report) OK() bool { return r.Divergence == nil }

// observer collects what the client's handlers report.
type observer struct {
	mu       sync.Mutex
	start    time.Time
	trans    []Transition
	upgrades []string
	upErrs   []string
	msgs     int
	bell     *bell
}

func (o *observer) watch(c *client.Client) {
	c.OnStateChange(func(ch client.StateChange) {
		o.mu.Lock()
		o.trans = append(o.trans, Transition{At: time.Since(o.start), From: ch.From, To: ch.To, Event: ch.Event})
		o.mu.Unlock()
	})
	c.OnMessage(func(client.Message) {
		o.mu.Lock()
		o.msgs++
		o.mu.Unlock()
		o.bell.ring()
	})
	c.OnUpgrade(func(t string) {
		o.mu.Lock()
		o.upgrades = append(o.upgrades, t)
		o.mu.Unlock()
	})
	c.OnUpgradeError(func(err error) {
		o.mu.Lock()
		o.upErrs = append(o.upErrs, err.Error())
		o.mu.Unlock()
	})
}

func (o *observer) messages() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.msgs
}

// driver runs one replay.
type driver struct {
	c     *Case
	opts  Options
	speed float64
	steps []step
	times []time.Time // when each step was carried out
	start time.Time
	cl    *client.Client
	obs   *observer
	chk   *checker
	srv   *server
	bell  *bell
	logw  io.Writer
	logMu sync.Mutex
	conn  atomic.Bool   // Connect returned nil
	ended chan struct{} // closed when the client's session has ended
}

// Run replays the case against a new client and reports the first
// divergence. It returns an error only when the replay itself could not
// run (no listener); ctx bounds the whole replay.
func (c *Case) Run(ctx context.Context, opts *Options) (*Report, error) {
	d := &driver{c: c, speed: opts.speed(), steps: c.script(), bell: newBell(),
		ended: make(chan struct{})}
	if opts != nil {
		d.opts = *opts
	}
	if d.opts.Patience <= 0 {
		d.opts.Patience = 5 * time.Second
	}
	d.logw = d.opts.Log
	d.times = make([]time.Time, len(d.steps))
	return d.run(ctx)
}

func (d *driver) logf(format string, args ...any) {
	if d.logw != nil {
		d.logMu.Lock()
		defer d.logMu.Unlock()
		fmt.Fprintf(d.logw, "%8.3fs  "+format+"\n", append([]any{time.Since(d.start).Seconds()}, args...)...)
	}
}

func (d *driver) run(ctx context.Context) (*Report, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d.start = time.Now()
	var copts client.Options
	if d.opts.Client != nil {
		copts = *d.opts.Client
	}
	d.cl = client.New(&copts)
	d.obs = &observer{start: d.start, bell: d.bell}
	d.obs.watch(d.cl)
	d.chk = newChecker(d.c.expected(), d.cl.State, d.bell)
	d.srv = newServer(ctx, d.c, d.chk, d.bell, d.speed)
	hs := &http.Server{Handler: d.srv, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan struct{})
	go func() { defer close(served); _ = hs.Serve(ln) }()

	sess := d.c.Session
	url := "http://" + ln.Addr().String()
	go func() {
		err := d.cl.Connect(ctx, url, &client.ConnectOptions{
			Transports: d.c.transports(),
			Path:       sess.Path,
			Query:      sess.Query,
			Revision:   sess.Revision,
		})
		if err == nil {
			d.conn.Store(true)
		} else {
			d.logf("connect failed: %v", err)
		}
		d.bell.ring()
		_ = d.cl.Wait(context.Background())
		close(d.ended)
	}()
	d.logf("replaying %s: %d steps, client transports %v", d.c.Name, len(d.steps), d.c.transports())

	d.drive(ctx)
	d.finish(ctx)

	// Stop everything: the client, then the server.
	d.cl.Abort()
	<-d.ended
	cancel()
	_ = hs.Close()
	<-served
	d.srv.shutdown()

	rep := &Report{
		Case:       d.c.Name,
		Divergence: d.chk.divergence(),
		Expected:   d.c.expected(),
		Got:        d.chk.snapshot(),
		Duration:   time.Since(d.start),
	}
	rep.Reason, rep.Err = d.cl.Reason()
	d.obs.mu.Lock()
	rep.Transitions = append([]Transition(nil), d.obs.trans...)
	rep.Upgrades = append([]string(nil), d.obs.upgrades...)
	rep.UpgradeErrors = append([]string(nil), d.obs.upErrs...)
	rep.Messages = d.obs.msgs
	d.obs.mu.Unlock()
	return rep, nil
}

// clientEnded reports whether the client's session is over.
func (d *driver) clientEnded() bool {
	select {
	case <-d.ended:
		return true
	default:
		return false
	}
}

func (d *driver) connected() bool { return d.conn.Load() }

func packetList(pkts []codec.Packet) string {
	s := "["
	for i, p := range pkts {
		if i > 0 {
			s += ", "
		}
		if i == 8 && len(pkts) > 10 {
			s += fmt.Sprintf("… %d more", len(pkts)-i)
			break
		}
		s += p.String()
	}
	return s + "]"
}
