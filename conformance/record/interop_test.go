package record_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/peer"
	"github.com/eio-go/eio/conformance/record"
	"github.com/eio-go/eio/conformance/replay"
)

// TestNode6RecordThenReplay records the eio client through the proxy
// against the Node engine.io 6 peer — handshake, upgrade, a text and a
// binary echo, a client close — then replays the recording against the
// client.
func TestNode6RecordThenReplay(t *testing.T) {
	pr := peer.Start(t, peer.Node6, peer.Options{})
	p, err := record.New(pr.URL, nil)
	require.NoError(t, err)
	front := httptest.NewServer(p)
	defer front.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := client.New(nil)
	got := make(chan struct{}, 4)
	upgraded := make(chan struct{}, 1)
	c.OnMessage(func(client.Message) { got <- struct{}{} })
	c.OnUpgrade(func(string) { upgraded <- struct{}{} })
	require.NoError(t, c.Connect(ctx, front.URL, nil))
	require.NoError(t, c.Send("hello"))
	select {
	case <-got:
	case <-ctx.Done():
		t.Fatal("no echo")
	}
	select {
	case <-upgraded:
	case <-ctx.Done():
		t.Fatal("no upgrade")
	}
	require.NoError(t, c.Send([]byte{1, 2, 3}))
	select {
	case <-got:
	case <-ctx.Done():
		t.Fatal("no binary echo")
	}
	require.NoError(t, c.Disconnect(ctx))
	require.NoError(t, p.Close())

	cases, err := replay.Load(p.HAR())
	require.NoError(t, err)
	require.Len(t, cases, 1)
	rep, err := cases[0].Run(ctx, &replay.Options{Speed: 4})
	require.NoError(t, err)
	var b strings.Builder
	_ = rep.WriteText(&b)
	require.True(t, rep.OK(), b.String())
	require.Equal(t, []string{"websocket"}, rep.Upgrades)
	require.True(t, cases[0].RunMachine().OK())
}

// TestNode6PacketsThenReplay records the client's own packets (OnPacket)
// with record.Packets against node6, then replays that recording.
func TestNode6PacketsThenReplay(t *testing.T) {
	pr := peer.Start(t, peer.Node6, peer.Options{})
	rec, err := record.NewPackets(pr.URL, "", codec.V4)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := client.New(nil)
	c.OnPacket(func(d client.Direction, transport string, p codec.Packet) {
		rec.Packet(d == client.Outbound, transport, p)
	})
	got := make(chan struct{}, 4)
	upgraded := make(chan struct{}, 1)
	c.OnMessage(func(client.Message) { got <- struct{}{} })
	c.OnUpgrade(func(string) { upgraded <- struct{}{} })
	require.NoError(t, c.Connect(ctx, pr.URL, nil))
	require.NoError(t, c.Send("hello"))
	for _, ch := range []chan struct{}{got, upgraded} {
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatal("no echo or no upgrade")
		}
	}
	require.NoError(t, c.Send([]byte{1, 2, 3}))
	select {
	case <-got:
	case <-ctx.Done():
		t.Fatal("no binary echo")
	}
	require.NoError(t, c.Disconnect(ctx))
	require.NoError(t, c.Wait(ctx))
	rec.End(false)

	cases, err := replay.Load(rec.HAR())
	require.NoError(t, err)
	require.Len(t, cases, 1)
	rep, err := cases[0].Run(ctx, &replay.Options{Speed: 4})
	require.NoError(t, err)
	var b strings.Builder
	_ = rep.WriteText(&b)
	require.True(t, rep.OK(), b.String())
	require.Equal(t, []string{"websocket"}, rep.Upgrades)
}
