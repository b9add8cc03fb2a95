package replay

import (
	"context"
	"errors"
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
	"github.com/eio-go/eio/conformance/trace"
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
	d.srv.shutdown()
	_ = hs.Close()
	<-served

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

// drive carries out the steps in order.
func (d *driver) drive(ctx context.Context) {
	for k := range d.steps {
		st := &d.steps[k]
		if !d.await(ctx, st) {
			return
		}
		if !d.delay(ctx, st) {
			return
		}
		d.perform(ctx, st)
		d.times[k] = time.Now()
	}
}

// gateMet reports whether what the recording shows before st has
// happened.
func (d *driver) gateMet(st *step) bool {
	for t, n := range st.need {
		if d.chk.count(t) < n {
			return false
		}
	}
	if st.kind == stepAppSend || st.kind == stepAppDisconnect {
		return d.connected() && d.obs.messages() >= st.msgs
	}
	return true
}

// await waits until st may be carried out; false stops the replay.
func (d *driver) await(ctx context.Context, st *step) bool {
	var gap time.Duration
	if st.prev >= 0 {
		gap = st.at.Sub(d.steps[st.prev].at)
	}
	timer := time.NewTimer(d.opts.Patience + scale(gap, d.speed))
	defer timer.Stop()
	for {
		wake := d.bell.wait()
		if d.chk.divergence() != nil {
			return false
		}
		if d.gateMet(st) {
			return true
		}
		if d.clientEnded() {
			if m := d.chk.missing(st.need); m != nil {
				reason, _ := d.cl.Reason()
				m.Msg = fmt.Sprintf("the client's session ended (%s) before sending it", reason)
				d.chk.diverge(m)
			}
			return false
		}
		select {
		case <-wake:
		case <-d.ended:
		case <-timer.C:
			m := d.chk.missing(st.need)
			if m == nil {
				m = &Divergence{Index: -1, Msg: fmt.Sprintf("the application did not receive the %d messages the recording shows before %s", st.msgs, st.kind)}
			} else {
				m.Msg = fmt.Sprintf("not sent within %v", d.opts.Patience+scale(gap, d.speed))
			}
			d.chk.diverge(m)
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// delay waits out the recorded delay between st and the event it followed.
func (d *driver) delay(ctx context.Context, st *step) bool {
	base := d.start
	var baseAt time.Time
	if len(d.c.Session.Events) > 0 {
		baseAt = d.c.Session.Events[0].Time
	}
	if st.prev >= 0 {
		base, baseAt = d.times[st.prev], d.steps[st.prev].at
	}
	if t, ok := d.chk.arrival(st.client); ok && st.anchorAt.After(baseAt) {
		base, baseAt = t, st.anchorAt
	}
	wait := time.Until(base.Add(scale(st.at.Sub(baseAt), d.speed)))
	if wait <= 0 {
		return true
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-d.chk.stopped:
	case <-d.ended:
		return true // let the step go; the client may still be closing
	case <-ctx.Done():
	}
	return false
}

// perform carries out one step.
func (d *driver) perform(ctx context.Context, st *step) {
	switch st.kind {
	case stepServer:
		if st.raw != nil {
			d.logf("server %s: raw %q", st.transport, clip(string(st.raw.data), 60))
			d.srv.sendRaw(st.raw)
			break
		}
		d.logf("server %s: %s", st.transport, packetList(st.packets))
		d.srv.send(st.transport, st.packets)
	case stepHTTPError:
		d.logf("server %s: HTTP %d to the next %s", st.transport, st.status, st.method)
		d.srv.fail(*st)
	case stepServerCloseWS:
		d.logf("server websocket: close")
		d.srv.closeWebSocket()
	case stepAppSend:
		p := st.packets[0]
		d.logf("app: send %s", p.String())
		var err error
		if p.Binary {
			err = d.cl.Send(append([]byte(nil), p.Data...))
		} else {
			err = d.cl.Send(string(p.Data))
		}
		if err != nil && !errors.Is(err, client.ErrClosed) {
			d.chk.diverge(&Divergence{Index: -1, Msg: fmt.Sprintf("Send(%s) failed: %v", p.String(), err)})
		}
	case stepAppDisconnect:
		d.logf("app: disconnect")
		go func() { _ = d.cl.Disconnect(ctx) }()
	}
}

// finish waits for the end of the session as the recording shows it and
// checks that every recorded client packet came.
func (d *driver) finish(ctx context.Context) {
	if d.chk.divergence() != nil {
		return
	}
	end := d.c.Session.Ending()
	limit := d.opts.Patience
	if o := d.opts.Client; o != nil && o.CloseTimeout > 0 {
		limit += o.CloseTimeout
	} else {
		limit += 5 * time.Second
	}
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for {
		wake := d.bell.wait()
		if d.chk.divergence() != nil {
			return
		}
		done := d.chk.missing(nil) == nil
		if d.clientEnded() || (done && end.Kind == trace.EndUnknown) {
			break
		}
		select {
		case <-wake:
		case <-d.ended:
		case <-timer.C:
			if m := d.chk.missing(nil); m != nil {
				m.Msg = fmt.Sprintf("not sent within %v after the recording's last step", limit)
				d.chk.diverge(m)
				return
			}
			if end.Kind != trace.EndUnknown {
				d.chk.diverge(&Divergence{Index: -1, Msg: fmt.Sprintf("the session did not end within %v; the recording shows %s", limit, end.Kind)})
			}
			return
		case <-ctx.Done():
			return
		}
	}
	if m := d.chk.missing(nil); m != nil {
		reason, err := d.cl.Reason()
		m.Msg = fmt.Sprintf("the client's session ended (%s) before sending it", reason)
		if err != nil {
			m.Msg += ": " + err.Error()
		}
		d.chk.diverge(m)
		return
	}
	if end.Kind == trace.EndUnknown || !d.clientEnded() {
		return
	}
	reason, err := d.cl.Reason()
	if want := d.expectedReason(end); want != "" && reason != want {
		msg := fmt.Sprintf("the session ended with %q, the recording shows %s (%q)", reason, end.Kind, want)
		if err != nil {
			msg += ": " + err.Error()
		}
		d.chk.diverge(&Divergence{Index: -1, State: d.cl.State(), Msg: msg})
	}
}

// expectedReason is the reason the client should end with.
func (d *driver) expectedReason(end trace.Ending) client.Reason {
	switch end.Kind {
	case trace.EndClientClose:
		return client.ReasonClientDisconnect
	case trace.EndServerClose:
		return client.ReasonServerDisconnect
	case trace.EndTransportClosed:
		if e := d.c.Session.Events[end.Event]; d.c.closedBy[e.Entry] == sideServer {
			return client.ReasonServerDisconnect
		}
		return client.ReasonClientDisconnect
	}
	return ""
}

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
