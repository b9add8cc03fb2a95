package client_test

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ws "github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// hostileOpen is the open packet's JSON the hostile servers send unless a
// case says otherwise: no upgrades, no ping for a long while, and a
// maxPayload of 10,000 bytes.
const hostileOpen = `{"sid":"hostile","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":10000}`

// noMaxPayload is an open packet without maxPayload, as revision 3
// servers and python-engineio send.
const noMaxPayload = `{"sid":"hostile","upgrades":[],"pingInterval":25000,"pingTimeout":20000}`

// fakePolling is an Engine.IO polling server on 127.0.0.1 scripted by a
// hostile case: open answers the handshake GET (the one without a sid),
// poll every later GET. A nil poll echoes what the client POSTs, so that
// a session can be shown to be alive. Every request is counted.
type fakePolling struct {
	*httptest.Server
	requests atomic.Int32
	posts    chan []byte
}

func startPolling(t *testing.T, open, poll http.HandlerFunc) *fakePolling {
	t.Helper()
	f := newPolling(open, poll)
	f.Start()
	t.Cleanup(f.Close)
	return f
}

// startPollingTLS is startPolling over https, with httptest's certificate
// for 127.0.0.1, which no system root signs.
func startPollingTLS(t *testing.T, open, poll http.HandlerFunc) *fakePolling {
	t.Helper()
	f := newPolling(open, poll)
	f.StartTLS()
	t.Cleanup(f.Close)
	return f
}

func newPolling(open, poll http.HandlerFunc) *fakePolling {
	f := &fakePolling{posts: make(chan []byte, 16)}
	f.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		switch {
		case r.Method == http.MethodPost:
			body := make([]byte, 64<<10)
			n, _ := r.Body.Read(body)
			select {
			case f.posts <- body[:n]:
			default:
			}
			_, _ = w.Write([]byte("ok"))
		case r.URL.Query().Get("sid") == "":
			open(w, r)
		case poll != nil:
			poll(w, r)
		default:
			select {
			case b := <-f.posts:
				_, _ = w.Write(b)
			case <-r.Context().Done():
			}
		}
	}))
	return f
}

// openWith answers with the open packet of json.
func openWith(json string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("0" + json)) }
}

// filler is what streams are made of; never written to.
var filler = bytes.Repeat([]byte("a"), 1<<20)

// streamBody answers with prefix and then filler, n bytes in all, flushed
// chunk by chunk (so chunked); n < 0 streams until the client goes away.
// It allocates nothing per chunk, so that the heap the cases measure is
// the client's.
func streamBody(prefix string, n int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		fl := w.(http.Flusher)
		if _, err := w.Write([]byte(prefix)); err != nil {
			return
		}
		for sent := int64(len(prefix)); n < 0 || sent < n; {
			chunk := filler
			if n >= 0 && n-sent < int64(len(chunk)) {
				chunk = chunk[:n-sent]
			}
			if _, err := w.Write(chunk); err != nil || r.Context().Err() != nil {
				return
			}
			fl.Flush()
			sent += int64(len(chunk))
		}
	}
}

// fakeWebSocket is a WebSocket server on 127.0.0.1 (coder/websocket's
// Accept) running script on each connection; its URL is a ws:// one.
func fakeWebSocket(t *testing.T, opts *ws.AcceptOptions, script func(ctx context.Context, c *ws.Conn)) string {
	t.Helper()
	var wg sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := ws.Accept(w, r, opts)
		if err != nil {
			return
		}
		wg.Add(1)
		defer wg.Done()
		defer c.CloseNow()
		script(r.Context(), c)
	}))
	t.Cleanup(func() { srv.Close(); wg.Wait() })
	return "ws" + srv.URL[len("http"):]
}

// streamMessage writes one text message of prefix and then filler, n
// bytes in all (n < 0: until the write fails), as a run of fragments.
func streamMessage(ctx context.Context, c *ws.Conn, prefix string, n int64) {
	wr, err := c.Writer(ctx, ws.MessageText)
	if err != nil {
		return
	}
	if _, err := wr.Write([]byte(prefix)); err != nil {
		return
	}
	for sent := int64(len(prefix)); n < 0 || sent < n; sent += int64(len(filler)) {
		if _, err := wr.Write(filler); err != nil {
			return
		}
	}
	_ = wr.Close()
}

// heapWatch samples the heap while a hostile case runs: a client that
// buffered the hostile input whole would show it in the peak.
type heapWatch struct {
	base, alloc0 uint64
	peak         atomic.Uint64
	stop, done   chan struct{}
}

func watchHeap() *heapWatch {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	w := &heapWatch{base: ms.HeapInuse, alloc0: ms.TotalAlloc, stop: make(chan struct{}), done: make(chan struct{})}
	w.peak.Store(ms.HeapInuse)
	go func() {
		defer close(w.done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > w.peak.Load() {
				w.peak.Store(ms.HeapInuse)
			}
		}
	}()
	return w
}

// end stops the sampling and returns the peak of the heap in use above
// the baseline and the bytes allocated meanwhile.
func (w *heapWatch) end() (peak, allocated uint64) {
	close(w.stop)
	<-w.done
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return w.peak.Load() - w.base, ms.TotalAlloc - w.alloc0
}

// requireHeapBelow ends w and fails when the heap grew by bound or more
// while it watched, or when as much again was allocated in all.
func requireHeapBelow(t *testing.T, w *heapWatch, bound uint64) {
	t.Helper()
	peak, allocated := w.end()
	t.Logf("heap: peak +%.1f MiB, allocated %.1f MiB (bound %d MiB)", mib(peak), mib(allocated), bound>>20)
	require.Less(t, peak, bound, "peak heap in use above the baseline")
	require.Less(t, allocated, 2*bound, "bytes allocated during the case")
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// deflateZeros returns a raw DEFLATE stream (no final block, no trailing
// sync marker, as permessage-deflate sends it) inflating to prefix and
// then n MiB of zero bytes. It is a run of one flushed 1 MiB segment
// repeated, so it costs one compression of 1 MiB whatever n is.
func deflateZeros(t *testing.T, prefix string, n int) []byte {
	t.Helper()
	segment := func(data []byte) []byte {
		var b bytes.Buffer
		fw, err := flate.NewWriter(&b, flate.BestCompression)
		require.NoError(t, err)
		_, err = fw.Write(data)
		require.NoError(t, err)
		require.NoError(t, fw.Flush()) // ends on a byte boundary: 00 00 ff ff
		return b.Bytes()
	}
	out := segment([]byte(prefix))
	zeros := segment(make([]byte, 1<<20))
	for range n {
		out = append(out, zeros...)
	}
	return bytes.TrimSuffix(out, []byte{0, 0, 0xff, 0xff})
}

// rawDeflateServer is a WebSocket server written by hand, so that it can
// send a compressed frame it never had to compress: it accepts the
// permessage-deflate offer without context takeover, sends the open
// packet of open and a ping uncompressed, waits for the client's pong (by
// then the client applied maxPayload), sends bomb as one compressed text
// frame, and waits for the client to go away.
func rawDeflateServer(t *testing.T, open string, bomb []byte) string {
	t.Helper()
	var wg sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Sec-WebSocket-Key")
		sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		wg.Add(1)
		defer wg.Done()
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(sum[:]) + "\r\n" +
			"Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; server_no_context_takeover\r\n\r\n")
		writeFrame(brw.Writer, false, []byte("0"+open))
		writeFrame(brw.Writer, false, []byte("2"))
		if brw.Flush() != nil {
			return
		}
		// The pong: a masked frame of 7 bytes, uncompressed as smaller
		// than coder/websocket's compression threshold.
		pong := make([]byte, 7)
		if _, err := io.ReadFull(brw, pong); err != nil || pong[6]^pong[2] != '3' {
			return
		}
		writeFrame(brw.Writer, true, bomb)
		if brw.Flush() != nil {
			return
		}
		_, _ = brw.Read(make([]byte, 512)) // the client's close frame, or EOF
	}))
	t.Cleanup(func() { srv.Close(); wg.Wait() })
	return "ws" + srv.URL[len("http"):]
}

// writeFrame writes one unmasked final text frame, compressed (RSV1) or
// not.
func writeFrame(w interface{ Write([]byte) (int, error) }, compressed bool, payload []byte) {
	b0 := byte(0x80 | 0x1) // FIN, text
	if compressed {
		b0 |= 0x40
	}
	var hdr []byte
	switch n := len(payload); {
	case n < 126:
		hdr = []byte{b0, byte(n)}
	case n < 1<<16:
		hdr = binary.BigEndian.AppendUint16([]byte{b0, 126}, uint16(n))
	default:
		hdr = binary.BigEndian.AppendUint64([]byte{b0, 127}, uint64(n))
	}
	_, _ = w.Write(hdr)
	_, _ = w.Write(payload)
}
