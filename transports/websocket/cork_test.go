package websocket

import (
	"context"
	"net"
	"net/http"
	"runtime"
	"testing"
	"weak"

	"github.com/stretchr/testify/require"
)

// countConn counts the writes that reach the network.
type countConn struct {
	net.Conn
	writes [][]byte
}

func (c *countConn) Write(p []byte) (int, error) {
	c.writes = append(c.writes, append([]byte(nil), p...))
	return len(p), nil
}

func TestCorkHoldsWrites(t *testing.T) {
	under := &countConn{}
	cc := &corkConn{Conn: under}
	_, err := cc.Write([]byte("a"))
	require.NoError(t, err)
	require.Len(t, under.writes, 1, "an uncorked write goes through")
	cc.cork()
	for _, s := range []string{"b", "c", "d"} {
		_, err := cc.Write([]byte(s))
		require.NoError(t, err)
	}
	require.Len(t, under.writes, 1, "corked writes are held")
	require.NoError(t, cc.uncork())
	require.Equal(t, [][]byte{[]byte("a"), []byte("bcd")}, under.writes, "held writes leave in one write")
}

func TestCorkingClientShared(t *testing.T) {
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	a, b := corkingClient(hc), corkingClient(hc)
	require.Same(t, a, b, "one corking client per base client")
	require.NotSame(t, a, corkingClient(&http.Client{}), "another base client gets its own")
	tr, ok := a.Transport.(*http.Transport)
	require.True(t, ok)
	require.True(t, tr.DisableKeepAlives)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	var slot corkSlot
	conn, err := tr.DialContext(withCorkSlot(context.Background(), &slot), "tcp", ln.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	require.NotNil(t, slot.get())
	require.Same(t, conn, net.Conn(slot.get()), "the dial's slot receives its connection")
	plain, err := tr.DialContext(context.Background(), "tcp", ln.Addr().String())
	require.NoError(t, err)
	defer plain.Close()
	_, corked := plain.(*corkConn)
	require.False(t, corked, "a dial without a slot is not wrapped")
}

func TestCorkingClientDropped(t *testing.T) {
	count := func() int {
		n := 0
		corkers.Range(func(any, any) bool { n++; return true })
		return n
	}
	before := count()
	func() {
		for range 10 {
			corkingClient(&http.Client{})
		}
	}()
	require.GreaterOrEqual(t, count(), before+10)
	for i := 0; i < 100 && count() > before; i++ {
		runtime.GC()
		runtime.Gosched()
	}
	require.LessOrEqual(t, count(), before, "entries of collected clients are removed")
}

// TestCorkingClientKeepsNothingAlive: a client whose transport corks
// itself (EnableCorking) is used as it is, and nothing the cache holds
// keeps it, or a client given a clone, from being collected.
func TestCorkingClientKeepsNothingAlive(t *testing.T) {
	var refs []weak.Pointer[http.Client]
	func() {
		for i := range 20 {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			if i%2 == 0 {
				EnableCorking(tr)
			}
			hc := &http.Client{Transport: tr}
			c := corkingClient(hc)
			if i%2 == 0 {
				require.Same(t, hc, c, "a corking transport is used as it is")
			} else {
				require.NotSame(t, hc, c)
			}
			refs = append(refs, weak.Make(hc))
		}
	}()
	live := func() int {
		n := 0
		for _, r := range refs {
			if r.Value() != nil {
				n++
			}
		}
		return n
	}
	for i := 0; i < 100 && live() > 0; i++ {
		runtime.GC()
		runtime.Gosched()
	}
	require.Zero(t, live(), "clients kept alive by the corking cache")
}
