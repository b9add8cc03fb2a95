package record_test

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ws "github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/conformance/har"
	"github.com/eio-go/eio/conformance/record"
)

// target is a small stand-in server: GET answers "pong", POST echoes its
// body as octet-stream, /ws echoes two frames and closes.
func target(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/ws":
			c, err := ws.Accept(w, r, nil)
			if err != nil {
				return
			}
			ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
			defer cancel()
			for i := 0; i < 2; i++ {
				typ, data, err := c.Read(ctx)
				if err != nil {
					return
				}
				if err := c.Write(ctx, typ, data); err != nil {
					return
				}
			}
			_ = c.Close(ws.StatusNormalClosure, "bye")
		case r.Method == http.MethodPost:
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write(body)
		default:
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, "pong")
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestProxyRecords(t *testing.T) {
	tg := target(t)
	p, err := record.New(tg.URL, nil)
	require.NoError(t, err)
	front := httptest.NewServer(p)
	defer front.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	resp, err := http.Get(front.URL + "/engine.io/?EIO=4&transport=polling")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, "pong", string(body))

	resp, err = http.Post(front.URL+"/x", "text/plain", strings.NewReader("\x00\xffbinary"))
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, "\x00\xffbinary", string(body))

	c, _, err := ws.Dial(ctx, strings.Replace(front.URL, "http", "ws", 1)+"/ws?EIO=4&transport=websocket", nil)
	require.NoError(t, err)
	require.NoError(t, c.Write(ctx, ws.MessageText, []byte("4hello")))
	_, _, err = c.Read(ctx)
	require.NoError(t, err)
	require.NoError(t, c.Write(ctx, ws.MessageBinary, []byte{1, 2, 3}))
	_, _, err = c.Read(ctx)
	require.NoError(t, err)
	_, _, err = c.Read(ctx)
	require.Equal(t, ws.StatusNormalClosure, ws.CloseStatus(err))
	require.NoError(t, p.Close())

	l := p.HAR()
	require.Len(t, l.Entries, 3)
	get, post, sock := l.Entries[0], l.Entries[1], l.Entries[2]
	require.Equal(t, tg.URL+"/engine.io/?EIO=4&transport=polling", get.Request.URL)
	require.Equal(t, 200, get.Response.Status)
	require.Equal(t, "pong", get.Response.Content.Text)

	require.Equal(t, "POST", post.Request.Method)
	require.Equal(t, har.EncodingBase64, post.Request.PostData.Encoding, "non-UTF-8 bodies are kept in base64")
	b, err := post.Request.Body()
	require.NoError(t, err)
	require.Equal(t, "\x00\xffbinary", string(b))
	b, err = post.Response.Body()
	require.NoError(t, err)
	require.Equal(t, "\x00\xffbinary", string(b))

	require.Equal(t, "websocket", sock.ResourceType)
	require.True(t, strings.HasPrefix(sock.Request.URL, "ws://"))
	require.Equal(t, 101, sock.Response.Status)
	require.True(t, strings.HasPrefix(sock.Comment, record.ClosedByServer), sock.Comment)
	msgs := sock.WebSocketMessages
	require.Len(t, msgs, 4)
	require.Equal(t, har.WebSocketMessage{Type: har.Send, Time: msgs[0].Time, Opcode: har.OpText, Data: "4hello"}, msgs[0])
	require.Equal(t, har.Receive, msgs[1].Type)
	require.Equal(t, har.Send, msgs[2].Type)
	require.Equal(t, har.OpBinary, msgs[2].Opcode)
	require.Equal(t, base64.StdEncoding.EncodeToString([]byte{1, 2, 3}), msgs[2].Data)

	// What the proxy writes, HAR readers accept.
	var sb strings.Builder
	require.NoError(t, har.Write(&sb, l))
	_, err = har.Read(strings.NewReader(sb.String()))
	require.NoError(t, err)
}

func TestServeWritesOnCancel(t *testing.T) {
	tg := target(t)
	p, err := record.New(tg.URL, nil)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "out.har")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- record.Serve(ctx, ln, p, out) }()

	resp, err := http.Get("http://" + ln.Addr().String() + "/a?EIO=4&transport=polling")
	require.NoError(t, err)
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	l, err := har.ReadFile(out)
	require.NoError(t, err)
	require.Len(t, l.Entries, 1)
}

func TestNewRejectsBadTargets(t *testing.T) {
	for _, u := range []string{"ftp://x", "http://", "::"} {
		_, err := record.New(u, nil)
		require.Error(t, err, u)
	}
}
