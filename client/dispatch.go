package client

import (
	"context"
	"sync"
)

// maxBacklog bounds the handler calls waiting to run (messages, pings,
// state changes, traced packets...). Past it the session's reader stops
// reading until the handlers have caught up with half of it, so a slow
// handler slows the server down (through TCP or the long-poll) instead of
// growing memory. What the reader read when the bound was reached (one
// frame, or one part of a poll's payload: at most 256 packets) still gets
// in.
const maxBacklog = 1024

// event is one queued handler call: a message for the message handlers
// when fn is nil, else fn.
type event struct {
	fn  func()
	msg Message
}

// dispatcher runs handlers in the order events were queued, one at a
// time, on a goroutine of its own, so a handler may call Send or
// Disconnect without blocking a reader. The goroutine runs while
// there are events and ends when the queue is empty, so an idle
// connection keeps none. Two queues take turns, so queuing costs no
// allocation once they have grown to the usual backlog.
type dispatcher struct {
	h *handlers

	mu      sync.Mutex
	queue   []event
	spare   []event
	backlog int  // events queued or being handled
	full    bool // a reader waits for room
	running bool // the goroutine runs
	closed  bool
	room    chan struct{}
	done    chan struct{} // closed once closed and the last event was handled
}

func newDispatcher(h *handlers) *dispatcher {
	return &dispatcher{h: h, room: make(chan struct{}, 1), done: make(chan struct{})}
}

// post queues f; after close it is dropped.
func (d *dispatcher) post(f func()) { d.push(event{fn: f}) }

// message queues m for the message handlers; after close it is dropped.
func (d *dispatcher) message(m Message) { d.push(event{msg: m}) }

func (d *dispatcher) push(e event) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.queue = append(d.queue, e)
	d.backlog++
	start := !d.running
	d.running = true
	d.mu.Unlock()
	if start {
		go d.run()
	}
}

// waitRoom blocks while maxBacklog events wait for the handlers. It
// reports false when ctx ended first.
func (d *dispatcher) waitRoom(ctx context.Context) bool {
	for {
		d.mu.Lock()
		if d.backlog < maxBacklog || d.closed {
			d.mu.Unlock()
			return true
		}
		d.full = true
		d.mu.Unlock()
		select {
		case <-d.room:
		case <-ctx.Done():
			return false
		}
	}
}

// close lets the dispatcher end once the queue is empty; done is closed
// then.
func (d *dispatcher) close() {
	d.mu.Lock()
	d.closed = true
	idle := !d.running
	d.mu.Unlock()
	if idle {
		close(d.done)
	}
	select {
	case d.room <- struct{}{}:
	default:
	}
}

// run handles events until the queue is empty.
func (d *dispatcher) run() {
	for {
		d.mu.Lock()
		q := d.queue
		if len(q) == 0 {
			d.running = false
			closed := d.closed
			d.mu.Unlock()
			if closed {
				close(d.done)
			}
			return
		}
		d.queue = d.spare[:0]
		d.spare = nil
		d.mu.Unlock()
		for i := range q {
			d.handle(&q[i])
			q[i] = event{} // drop the references before the queue is reused
		}
		if cap(q) <= maxBacklog {
			d.mu.Lock()
			d.spare = q[:0]
			d.mu.Unlock()
		}
	}
}

// handle runs one event's handlers.
func (d *dispatcher) handle(e *event) {
	if e.fn != nil {
		e.fn()
	} else {
		for _, f := range snapshot(d.h, &d.h.message) {
			f(e.msg)
		}
	}
	d.mu.Lock()
	d.backlog--
	signal := d.full && d.backlog <= maxBacklog/2
	if signal {
		d.full = false
	}
	d.mu.Unlock()
	if signal {
		select {
		case d.room <- struct{}{}:
		default:
		}
	}
}
