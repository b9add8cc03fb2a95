package replay

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/conformance/trace"
)

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
