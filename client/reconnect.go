package client

import (
	"math/rand/v2"
	"time"
)

// ReconnectPolicy configures automatic reconnection (Options.Reconnect).
// After an established session ends for a reason [ReconnectPolicy.Retry]
// accepts, the client waits a delay and connects again with the same URL
// and [ConnectOptions], as a new session with a new sid; messages that
// were not sent are not carried over. Between attempts there is no
// session: Send returns [ErrClosed]. Disconnect and Abort stop the
// reconnection, and [Client.Wait] returns only once the client is down
// for good.
//
// The delay before attempt n (from 1) is Initial × Multiplier^(n-1),
// capped at Max, then spread by Jitter.
type ReconnectPolicy struct {
	// MaxAttempts bounds the attempts after one session ends; zero means
	// no bound.
	MaxAttempts int
	// Initial is the delay before the first attempt. Zero means 500 ms.
	Initial time.Duration
	// Max caps the delay. Zero means 30 s.
	Max time.Duration
	// Multiplier grows the delay from one attempt to the next. Values
	// below 1 mean 2.
	Multiplier float64
	// Jitter spreads each delay at random over ±Jitter of its value
	// (0.5: between half and one and a half times). Zero means none;
	// values are clamped to [0, 1].
	Jitter float64
	// AttemptTimeout bounds one attempt, from its first request to the
	// handshake. Zero means 20 s.
	AttemptTimeout time.Duration
	// Retry decides whether a session that ended with reason and err is
	// reconnected. Nil means every reason except [ReasonClientDisconnect]:
	// a server disconnect too, since a restarting server closes its
	// sessions that way. It is called on the session's goroutine before
	// the disconnect handlers run; it must return quickly and not call
	// the Client.
	Retry func(reason Reason, err error) bool
}

// Default values of a zero ReconnectPolicy.
const (
	DefaultReconnectInitial        = 500 * time.Millisecond
	DefaultReconnectMax            = 30 * time.Second
	DefaultReconnectMultiplier     = 2
	DefaultReconnectAttemptTimeout = 20 * time.Second
)

// retry reports whether a session that ended so is reconnected.
func (p *ReconnectPolicy) retry(reason Reason, err error) bool {
	if p.Retry != nil {
		return p.Retry(reason, err)
	}
	return reason != ReasonClientDisconnect
}

// Delay returns the delay before attempt n (from 1), jitter included.
func (p *ReconnectPolicy) Delay(n int) time.Duration {
	initial, maxDelay, mult := p.Initial, p.Max, p.Multiplier
	if initial <= 0 {
		initial = DefaultReconnectInitial
	}
	if maxDelay <= 0 {
		maxDelay = DefaultReconnectMax
	}
	if mult < 1 {
		mult = DefaultReconnectMultiplier
	}
	d := float64(initial)
	for i := 1; i < n && d < float64(maxDelay); i++ {
		d *= mult
	}
	d = min(d, float64(maxDelay))
	if j := min(max(p.Jitter, 0), 1); j > 0 {
		d *= 1 - j + 2*j*rand.Float64()
	}
	return time.Duration(d)
}

func (p *ReconnectPolicy) attemptTimeout() time.Duration {
	if p.AttemptTimeout > 0 {
		return p.AttemptTimeout
	}
	return DefaultReconnectAttemptTimeout
}
