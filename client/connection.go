package client

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eio-go/eio/fsm"
)

// connection is what one successful Connect starts: a session and, with
// reconnection on, the sessions that replace it, until the client is down
// for good. It owns the handler dispatcher, so the handler calls of all
// its sessions run in order on one goroutine.
type connection struct {
	c    *Client
	t    *target
	disp *dispatcher

	stopCtx context.Context // cancelled by Disconnect and Abort
	stopFn  context.CancelFunc
	abort   atomic.Bool
	ended   chan struct{} // closed once no session is live and none will follow
	done    chan struct{} // closed after ended, once handlers and goroutines are done
	wg      sync.WaitGroup

	mu      sync.Mutex
	sess    *session // the session the facade shows
	attempt *session // the latest connection attempt
	over    bool
}

func newConnection(c *Client, t *target) *connection {
	cn := &connection{c: c, t: t, disp: newDispatcher(&c.h), ended: make(chan struct{}), done: make(chan struct{})}
	cn.stopCtx, cn.stopFn = context.WithCancel(context.Background())
	return cn
}

func (cn *connection) session() *session {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	return cn.sess
}

func (cn *connection) isOver() bool {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	return cn.over
}

// finishing reports whether the connection's session has finished and no
// reconnection follows, so that the connection is over in a moment.
func (cn *connection) finishing() bool {
	s := cn.session()
	if s == nil {
		return false
	}
	v := s.getView()
	return v.reason != "" && !v.retry
}

// retries decides whether a session that ended so is followed by a
// reconnection.
func (cn *connection) retries(reason Reason, err error) bool {
	p := cn.c.opts.Reconnect
	return p != nil && cn.stopCtx.Err() == nil && p.retry(reason, err)
}

func (cn *connection) post(f func()) { cn.disp.post(f) }

// plans returns the transport lists to try in turn: a remembered direct
// transport first, then the configured list, and when its first
// transport is not a polled one, the list from the next transport on.
func (cn *connection) plans() (plans [][]string, remembered bool) {
	names := cn.t.names
	if rem := cn.c.recall(cn.t.key); rem != "" && rem != names[0] && slices.Contains(names, rem) {
		plans = append(plans, []string{rem})
		remembered = true
	}
	for i := range names {
		plans = append(plans, names[i:])
		if cn.t.regs.get(names[i]).Polled {
			break
		}
	}
	return plans, remembered
}

// open connects a session, trying the plans in turn. visible makes each
// attempt the session the facade shows from its start (the first
// Connect); a reconnection attempt is shown once it succeeded.
func (cn *connection) open(ctx context.Context, visible bool, attempt int) error {
	// Disconnect and Abort stop an attempt through its session (see
	// stop), not through ctx.
	plans, remembered := cn.plans()
	var errs []error
	for i, names := range plans {
		err := cn.try(ctx, names, visible, attempt)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
		if i == 0 && remembered {
			cn.c.forget(cn.t.key)
		}
		if ctx.Err() != nil || cn.stopCtx.Err() != nil {
			break
		}
	}
	err := errs[0]
	if len(errs) > 1 {
		err = errors.Join(errs...)
	}
	return &ConnectError{URL: cn.t.base.String(), Err: err}
}

// try runs one connection attempt with the given transports.
func (cn *connection) try(ctx context.Context, names []string, visible bool, attempt int) error {
	in := cn.t.in
	in.Transports = make([]fsm.TransportInfo, len(names))
	for i, n := range names {
		in.Transports[i] = fsm.TransportInfo{Name: n, Polled: cn.t.regs.get(n).Polled}
	}
	s := newSession(cn, cn.t.regs, cn.t.cfg, attempt)
	cn.mu.Lock()
	cn.attempt = s
	if visible {
		cn.sess = s
	}
	cn.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	// stop cancels stopCtx before it looks for the attempt: either it
	// found s, or this sees its cancellation.
	if cn.stopCtx.Err() != nil {
		return context.Canceled
	}
	s.start(in)
	var err error
	select {
	case err = <-s.connectRes:
	case <-ctx.Done():
		// A handshake that completed as ctx ended still counts.
		select {
		case err = <-s.connectRes:
		default:
			s.requestDisconnect(true)
			<-s.doneCh
			return ctx.Err()
		}
	}
	if err != nil {
		<-s.doneCh
		if errors.Is(err, fsm.ErrAborted) && cn.stopCtx.Err() != nil {
			// Disconnect or Abort stopped the attempt: the same cause
			// whether the machine or the attempt's context saw it first.
			return context.Canceled
		}
		return err
	}
	// A Disconnect that came while the attempt ran may have missed it.
	if cn.stopCtx.Err() != nil {
		s.requestDisconnect(cn.abort.Load())
	}
	return nil
}

// established makes s, which just completed its handshake, the session the
// facade shows. It runs as s handles its handshake.
func (cn *connection) established(s *session) {
	cn.mu.Lock()
	cn.sess = s
	cn.mu.Unlock()
}

// sessionOver runs on s's finish once s has ended and its goroutines are
// done. An established session's end ends the connection or starts a
// reconnection; a failed attempt is left to the code that started it.
func (cn *connection) sessionOver(s *session) {
	if !s.established || cn.session() != s {
		return
	}
	if !s.getView().retry || cn.stopCtx.Err() != nil {
		cn.end()
		return
	}
	cn.wg.Add(1)
	go cn.reconnect(cn.c.opts.Reconnect)
}

// reconnect makes attempts after the session ended until one succeeds,
// the policy gives up, or Disconnect or Abort stops it.
func (cn *connection) reconnect(p *ReconnectPolicy) {
	defer cn.wg.Done()
	var err error
	n := 1
	for ; p.MaxAttempts <= 0 || n <= p.MaxAttempts; n++ {
		d := p.Delay(n)
		attempt := n
		cn.post(func() {
			for _, f := range snapshot(&cn.c.h, &cn.c.h.reconnecting) {
				f(attempt, d)
			}
		})
		timer := time.NewTimer(d)
		select {
		case <-timer.C:
		case <-cn.stopCtx.Done():
			timer.Stop()
			cn.end()
			return
		}
		ctx, cancel := context.WithTimeout(cn.stopCtx, p.attemptTimeout())
		err = cn.open(ctx, false, n)
		cancel()
		if err == nil {
			return // the new session reports OnReconnected and carries on
		}
		if log := cn.c.opts.Logger; log != nil {
			log.Info("eio: reconnection attempt failed", "attempt", n, "error", err)
		}
		if cn.stopCtx.Err() != nil {
			cn.end()
			return
		}
	}
	attempts := n - 1
	cn.post(func() {
		for _, f := range snapshot(&cn.c.h, &cn.c.h.reconnectFailed) {
			f(attempts, err)
		}
	})
	cn.end()
}

// stop ends the connection: no reconnection, and the live session and
// attempt are asked to disconnect.
func (cn *connection) stop(abort bool) {
	if abort {
		cn.abort.Store(true)
	}
	cn.stopFn()
	cn.mu.Lock()
	s, a := cn.sess, cn.attempt
	cn.mu.Unlock()
	for _, x := range []*session{s, a} {
		if x != nil {
			x.requestDisconnect(abort)
		}
	}
}

// end marks the connection over; done follows once the handlers drained.
func (cn *connection) end() {
	cn.mu.Lock()
	if cn.over {
		cn.mu.Unlock()
		return
	}
	cn.over = true
	cn.mu.Unlock()
	cn.stopFn()
	if cn.c.opts.HTTPClient == nil {
		// The HTTP transport is the client's own: its kept-alive
		// connections, and their goroutines, end with the connection.
		cn.c.http.CloseIdleConnections()
	}
	close(cn.ended)
	cn.disp.close()
	go func() {
		cn.wg.Wait()
		<-cn.disp.done
		close(cn.done)
	}()
}
