package polling_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/transports"
	"github.com/eio-go/eio/transports/polling"
)

// TestRequestTimeout checks which requests the request timeout bounds: the
// handshake GET and POSTs; a long-poll GET of a known session gets
// pingInterval + pingTimeout + the request timeout.
func TestRequestTimeout(t *testing.T) {
	const rt = 100 * time.Millisecond
	var hold atomic.Int64 // how long the server holds the next GET; <0: forever
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // so that the server notices a client going away
		if r.Method == http.MethodPost {
			<-r.Context().Done()
			return
		}
		d := time.Duration(hold.Load())
		if d < 0 {
			<-r.Context().Done()
			return
		}
		select {
		case <-time.After(d):
			_, _ = w.Write([]byte("6"))
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	u, err := url.Parse(srv.URL + "/engine.io/")
	require.NoError(t, err)
	tr, err := polling.Open(context.Background(), transports.Config{URL: u, Revision: codec.V4, RequestTimeout: rt})
	require.NoError(t, err)
	defer tr.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	hold.Store(-1)
	start := time.Now()
	_, err = tr.Read(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded, "the handshake GET is bounded")
	require.Less(t, time.Since(start), 5*time.Second)

	err = tr.Write(ctx, []codec.Packet{codec.TextMessage("x")})
	require.ErrorIs(t, err, context.DeadlineExceeded, "a POST is bounded")

	tr.(transports.SessionAware).SetSession(codec.Handshake{SID: "s", PingInterval: 300 * time.Millisecond, PingTimeout: 100 * time.Millisecond})
	hold.Store(int64(250 * time.Millisecond))
	pkts, err := tr.Read(ctx)
	require.NoError(t, err, "a long poll outlasts the request timeout")
	require.Len(t, pkts, 1)
	require.Equal(t, codec.Noop, pkts[0].Type)

	hold.Store(-1)
	start = time.Now()
	_, err = tr.Read(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded, "but not the heartbeat")
	require.GreaterOrEqual(t, time.Since(start), 500*time.Millisecond)
}

// TestHTTPError checks that a refusal carries the status and the parsed
// body.
func TestHTTPError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"code":1,"message":"Session ID unknown"}`))
	}))
	defer srv.Close()
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	tr, err := polling.Open(context.Background(), transports.Config{URL: u, Revision: codec.V4, SID: "gone"})
	require.NoError(t, err)
	_, err = tr.Read(context.Background())
	var he *transports.HTTPError
	require.ErrorAs(t, err, &he)
	require.Equal(t, transports.HTTPError{Method: "GET", Status: 400, Body: []byte(`{"code":1,"message":"Session ID unknown"}`),
		Code: 1, Message: "Session ID unknown"}, *he)
	require.NoError(t, tr.Close(context.Background()))
}

// TestReadLimits checks the bound of each poll response body: the
// handshake's is HandshakeReadLimit; once the session is known, it is
// DefaultReadLimit, whatever the server's maxPayload. A body one byte over
// is refused with codec.ErrTooLarge.
func TestReadLimits(t *testing.T) {
	var size atomic.Int64 // the length of the next body: "4" and filler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := size.Load()
		_, _ = w.Write([]byte("4"))
		_, _ = w.Write(bytes.Repeat([]byte("a"), int(n-1)))
	}))
	defer srv.Close()
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	tr, err := polling.Open(context.Background(), transports.Config{URL: u, Revision: codec.V4})
	require.NoError(t, err)
	defer tr.Close(context.Background())
	read := func(n int64) error {
		size.Store(n)
		pkts, err := tr.Read(context.Background())
		if err == nil {
			require.Len(t, pkts, 1)
			require.Len(t, pkts[0].Data, int(n-1))
		}
		return err
	}

	require.NoError(t, read(polling.HandshakeReadLimit), "the handshake GET")
	require.ErrorIs(t, read(polling.HandshakeReadLimit+1), codec.ErrTooLarge)

	sa := tr.(transports.SessionAware)
	sa.SetSession(codec.Handshake{SID: "s", MaxPayload: 1000})
	require.NoError(t, read(polling.DefaultReadLimit), "a payload over maxPayload, within the limit")
	require.ErrorIs(t, read(polling.DefaultReadLimit+1), codec.ErrTooLarge)
}

// TestReadParts checks that a payload of more than PartPackets packets is
// returned over several Reads with one request, in order, with More
// telling when it continues; and that a payload malformed after its first
// part is refused whole.
func TestReadParts(t *testing.T) {
	const n = 2*polling.PartPackets + 88
	var gets atomic.Int64
	var bad atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gets.Add(1)
		pkts := make([]codec.Packet, n)
		for i := range pkts {
			pkts[i] = codec.TextMessage(strconv.Itoa(i))
		}
		body := codec.AppendPayload(nil, codec.V4, pkts)
		if bad.Load() {
			body = append(body, "\x1e9"...) // an unknown packet type, last
		}
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	u, err := url.Parse(srv.URL + "/engine.io/")
	require.NoError(t, err)
	tr, err := polling.Open(context.Background(), transports.Config{URL: u, Revision: codec.V4})
	require.NoError(t, err)
	defer tr.Close(context.Background())
	tr.(transports.SessionAware).SetSession(codec.Handshake{SID: "s", PingInterval: time.Second, PingTimeout: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	parts := tr.(transports.PartReader)

	for round := range 2 {
		var got []string
		for _, want := range []int{polling.PartPackets, polling.PartPackets, 88} {
			pkts, err := tr.Read(ctx)
			require.NoError(t, err)
			require.Len(t, pkts, want)
			for _, p := range pkts {
				got = append(got, string(p.Data))
			}
			require.Equal(t, len(got) < n, parts.More())
		}
		require.Len(t, got, n)
		for i, s := range got {
			require.Equal(t, strconv.Itoa(i), s, "in order")
		}
		require.Equal(t, int64(round+1), gets.Load(), "one request per payload")
	}

	bad.Store(true)
	pkts, err := tr.Read(ctx)
	require.ErrorIs(t, err, codec.ErrUnknownType)
	require.Empty(t, pkts)
	require.False(t, parts.More(), "nothing of a malformed payload is kept")
}
