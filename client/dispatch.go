package client

import (
	"context"
	"sync"
)

// maxBacklog bounds the messages waiting for the message handlers. Past
// it the session's reader stops reading until the handlers have caught up
// with half of it, so a slow handler slows the server down (through TCP or
// the long-poll) instead of growing memory. Up to a few more messages (the
// run loop's input queue) may be in flight when the bound is reached.
const maxBacklog = 1024

// event is one queued handler call: a message for the message handlers
// when fn is nil, else fn.
type event struct {
	fn  func()
	msg Message
}

// dispatcher runs handlers on one goroutine, in the order events were
// queued, so a handler may call Send or Disconnect without blocking the
// run loop. Two queues take turns, so queuing costs no allocation once
// they have grown to the usual backlog.
type dispatcher struct {
	h *handlers

	mu      sync.Mutex
	queue   []event
	spare   []event
	backlog int  // messages queued or being handled
	full    bool // a reader waits for room
	closed  bool
	wake    chan struct{}
	room    chan struct{}
	done    chan struct{}
}

func newDispatcher(h *handlers) *dispatcher {
	d := &dispatcher{h: h, wake: make(chan struct{}, 1), room: make(chan struct{}, 1), done: make(chan struct{})}
	go d.run()
	return d
}

// post queues f; after close it is dropped.
func (d *dispatcher) post(f func()) { d.push(event{fn: f}) }

// message queues m for the message handlers; after close it is dropped.
func (d *dispatcher) message(m Message) { d.push(event{msg: m}) }

func (d *dispatcher) push(e event) {
	d.mu.Lock()
	if !d.closed {
		d.queue = append(d.queue, e)
		if e.fn == nil {
			d.backlog++
		}
	}
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// waitRoom blocks while maxBacklog messages wait for the handlers. It
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

// close lets the dispatcher end once the queue is empty.
func (d *dispatcher) close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
	select {
	case d.room <- struct{}{}:
	default:
	}
}

func (d *dispatcher) run() {
	defer close(d.done)
	for {
		d.mu.Lock()
		q := d.queue
		d.queue = d.spare[:0]
		d.spare = nil
		closed := d.closed
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
		if len(q) == 0 {
			if closed {
				return
			}
			<-d.wake
		}
	}
}

// handle runs one event's handlers.
func (d *dispatcher) handle(e *event) {
	if e.fn != nil {
		e.fn()
		return
	}
	for _, f := range snapshot(d.h, &d.h.message) {
		f(e.msg)
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
