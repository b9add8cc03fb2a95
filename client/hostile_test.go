package client_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/fsm"
	"github.com/eio-go/eio/transports/polling"
)

// hostileCase is one hostile server and the outcome it must lead to:
// Connect failing with an error matching cause when reason is empty, or
// else a session that ends with reason and an error matching cause.
type hostileCase struct {
	name   string
	reason client.Reason
	cause  error
	bound  uint64 // the heap growth the case must stay under
}

// runHostile connects c to url, checks the outcome of hc and that the
// client kept its heap under the bound and left no goroutine behind.
func runHostile(t *testing.T, hc hostileCase, c *client.Client, url string, opts *client.ConnectOptions, w *heapWatch) {
	t.Helper()
	// Generous bounds: reading 64 MiB under -race on a loaded machine has
	// taken 16 s; on an idle one it takes under 2 s.
	rec := record(c)
	err := c.Connect(testCtx(t, 60*time.Second), url, opts)
	if hc.reason == "" {
		require.ErrorIs(t, err, client.ErrConnect)
		require.ErrorIs(t, err, hc.cause)
		t.Logf("Connect: %.300v", err)
	} else {
		require.NoError(t, err)
		require.Equal(t, hc.reason, rec.disconnected(t, 60*time.Second))
		_, derr := c.Reason()
		require.ErrorIs(t, derr, hc.cause)
		t.Logf("disconnect: %s: %.300v", hc.reason, derr)
	}
	require.NoError(t, c.Wait(testCtx(t, 10*time.Second)))
	requireHeapBelow(t, w, hc.bound)
	requireNoGoroutines(t)
}

// TestHostilePolling runs the client against polling servers that send
// more than it may read: each read stops at its bound (1 MiB for the
// handshake, polling.DefaultReadLimit after it whatever the server's
// maxPayload, counted after gzip is undone) and ends the attempt or the
// session with codec.ErrTooLarge, with the heap growing by a fraction of
// what was sent. Reading up to the limit through io.ReadAll's doubling
// buffer, plus the garbage the collector has not reclaimed yet, peaks at
// about 3.5 times the limit: bounded, not cheap.
func TestHostilePolling(t *testing.T) {
	const endless = -1
	const bound = 5 * polling.DefaultReadLimit
	tests := []struct {
		hostileCase
		open, poll http.HandlerFunc
	}{
		{hostileCase{"handshake of 64 MiB", "", codec.ErrTooLarge, 16 << 20},
			streamBody(`0{"sid":"`, 64<<20), nil},
		{hostileCase{"endless handshake", "", codec.ErrTooLarge, 16 << 20},
			streamBody(`0{"sid":"`, endless), nil},
		{hostileCase{"payload of 64 MiB", client.ReasonProtocolError, codec.ErrTooLarge, bound},
			openWith(hostileOpen), streamBody("4", 64<<20)},
		{hostileCase{"endless chunked poll without maxPayload", client.ReasonProtocolError, codec.ErrTooLarge, bound},
			openWith(noMaxPayload), streamBody("4", endless)},
		{hostileCase{"gzip bomb: 256 KiB inflating to 256 MiB", client.ReasonProtocolError, codec.ErrTooLarge, bound},
			openWith(hostileOpen), gzipBomb(t, 256)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := watchHeap()
			f := startPolling(t, tt.open, tt.poll)
			runHostile(t, tt.hostileCase, client.New(nil), f.URL, &client.ConnectOptions{Transports: []string{"polling"}}, w)
		})
	}
}

// gzipBomb answers with a gzip body (Content-Encoding: gzip) inflating to
// a message packet of n MiB of zero bytes.
func gzipBomb(t *testing.T, n int) http.HandlerFunc {
	var body []byte
	body = append(body, 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff) // gzip header, no name, no time
	body = append(body, deflateZeros(t, "4", n)...)
	body = append(body, 0, 0, 0xff, 0xff, 0x03, 0x00) // the sync marker trimmed, then an empty final block
	crc := crc32.ChecksumIEEE([]byte("4"))
	zeros := make([]byte, 1<<20)
	for range n {
		crc = crc32.Update(crc, crc32.IEEETable, zeros)
	}
	body = binary.LittleEndian.AppendUint32(body, crc)
	body = binary.LittleEndian.AppendUint32(body, uint32(1+n<<20))
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		_, _ = w.Write(body)
	}
}

// TestHostileInvalidUTF8Polling sends a text message that is not UTF-8:
// the client delivers its bytes as they are (the codec carries text data
// intact; Go strings may hold any bytes) and the session goes on.
func TestHostileInvalidUTF8Polling(t *testing.T) {
	bad := []byte("\xff\xfe\xc0\xaf not UTF-8 \xed\xa0\x80")
	sent := false
	f := startPolling(t, openWith(hostileOpen), func(w http.ResponseWriter, r *http.Request) {
		if !sent {
			sent = true // GETs of one session never overlap
			_, _ = w.Write(append([]byte("4"), bad...))
			return
		}
		<-r.Context().Done()
	})
	c := client.New(nil)
	rec := record(c)
	require.NoError(t, c.Connect(testCtx(t, 5*time.Second), f.URL, &client.ConnectOptions{Transports: []string{"polling"}}))
	m := rec.next(t, 5*time.Second)
	require.False(t, m.Binary)
	require.Equal(t, bad, m.Data)
	require.Equal(t, client.State(fsm.Open), c.State())
	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
	require.Equal(t, client.ReasonClientDisconnect, rec.disconnected(t, 5*time.Second))
	requireNoGoroutines(t)
}

// TestHostileIntervals sends open packets with absurd heartbeat timings:
// negative ones fail Connect with codec.ErrHandshake; zero ones are taken
// as sent and end the session with a ping timeout at once; huge ones
// (1e15 ms) are clamped to codec.MaxInterval and the session lives on.
func TestHostileIntervals(t *testing.T) {
	opts := &client.ConnectOptions{Transports: []string{"polling"}}
	for _, tt := range []struct{ name, open string }{
		{"negative pingInterval", `{"sid":"s","upgrades":[],"pingInterval":-1,"pingTimeout":20000}`},
		{"negative pingTimeout", `{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":-1e15}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := watchHeap()
			f := startPolling(t, openWith(tt.open), nil)
			runHostile(t, hostileCase{tt.name, "", codec.ErrHandshake, 4 << 20}, client.New(nil), f.URL, opts, w)
		})
	}

	t.Run("zero", func(t *testing.T) {
		w := watchHeap()
		f := startPolling(t, openWith(`{"sid":"s","upgrades":[],"pingInterval":0,"pingTimeout":0,"maxPayload":10000}`), nil)
		c := client.New(nil)
		var info client.ConnectInfo
		c.OnConnect(func(ci client.ConnectInfo) { info = ci })
		runHostile(t, hostileCase{"zero", client.ReasonPingTimeout, fsm.ErrPingTimeout, 4 << 20}, c, f.URL, opts, w)
		require.Zero(t, info.PingInterval)
		require.Zero(t, info.PingTimeout)
	})

	t.Run("huge", func(t *testing.T) {
		f := startPolling(t, openWith(`{"sid":"s","upgrades":[],"pingInterval":1e15,"pingTimeout":1e15,"maxPayload":10000}`), nil)
		c := client.New(nil)
		infos := make(chan client.ConnectInfo, 1)
		c.OnConnect(func(ci client.ConnectInfo) { infos <- ci })
		rec := record(c)
		require.NoError(t, c.Connect(testCtx(t, 5*time.Second), f.URL, opts))
		info := <-infos
		require.Equal(t, codec.MaxInterval, info.PingInterval)
		require.Equal(t, codec.MaxInterval, info.PingTimeout)
		// A round trip through the server: the heartbeat timer, armed at
		// the handshake, must not have fired.
		require.NoError(t, c.SendText("alive"))
		require.Equal(t, "alive", rec.next(t, 5*time.Second).Text())
		reason, err := c.Reason()
		require.Empty(t, reason, "%v", err)
		require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
		require.Equal(t, client.ReasonClientDisconnect, rec.disconnected(t, 5*time.Second))
		requireNoGoroutines(t)
	})
}

// TestHostileTinyRecords answers a poll with 4 MiB of empty messages, two
// bytes each (2 million packets), then with numbered messages: the client
// hands the payload on in parts, so its heap grows by a few times the
// body (15 to 32 MiB here, most of it garbage the collector has not taken
// yet), not by a packet and a queued handler call for every record at
// once (about 100 times the body before parts: 1.6 GiB for 16 MiB).
// Every message arrives, in order.
func TestHostileTinyRecords(t *testing.T) {
	const tiny = 2 << 20
	body := append(bytes.Repeat([]byte("4\x1e"), tiny-1), '4')
	numbered := make([]codec.Packet, 3*polling.PartPackets+5)
	for i := range numbered {
		numbered[i] = codec.TextMessage(strconv.Itoa(i))
	}
	var polls atomic.Int64
	f := startPolling(t, openWith(hostileOpen), func(w http.ResponseWriter, r *http.Request) {
		switch polls.Add(1) {
		case 1:
			_, _ = w.Write(body)
		case 2:
			_, _ = w.Write(codec.AppendPayload(nil, codec.V4, numbered))
		default:
			<-r.Context().Done()
		}
	})
	var empty, emptyBefore atomic.Int64
	var mu sync.Mutex
	var got []string
	c := client.New(nil)
	c.OnMessage(func(m client.Message) {
		if len(m.Data) == 0 {
			empty.Add(1)
			return
		}
		mu.Lock()
		if len(got) == 0 {
			emptyBefore.Store(empty.Load())
		}
		got = append(got, string(m.Data))
		mu.Unlock()
	})
	w := watchHeap()
	require.NoError(t, c.Connect(testCtx(t, 10*time.Second), f.URL, &client.ConnectOptions{Transports: []string{"polling"}}))
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == len(numbered)
	}, 120*time.Second, 10*time.Millisecond)
	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
	require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
	peak, _ := w.end()
	t.Logf("heap: peak +%.1f MiB for a body of %.1f MiB", mib(peak), mib(uint64(len(body))))
	require.Less(t, peak, uint64(12*len(body)), "peak heap in use above the baseline")
	require.Equal(t, int64(tiny), empty.Load(), "every empty message arrived")
	require.Equal(t, int64(tiny), emptyBefore.Load(), "before the numbered ones")
	for i, s := range got {
		require.Equal(t, strconv.Itoa(i), s)
	}
	requireNoGoroutines(t)
}
