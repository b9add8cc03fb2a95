package polling

import (
	"context"
	"math"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/transports"
)

// TestReadLimitAbsurdMaxPayload: a server's maxPayload does not set the
// poll limit at all (it bounds what the server accepts, not what it
// sends): absurd figures (1e15, and math.MaxInt, what ParseHandshake
// makes of 1e300) neither lift the bound nor break the session, as they
// once did when the limit was 2*maxPayload + 4096.
func TestReadLimitAbsurdMaxPayload(t *testing.T) {
	u, err := url.Parse("http://127.0.0.1:1")
	require.NoError(t, err)
	tr, err := Open(context.Background(), transports.Config{URL: u, Revision: codec.V4})
	require.NoError(t, err)
	p := tr.(*Transport)
	for _, max := range []int{0, 1000, 1_000_000, DefaultReadLimit + 1, 1e15, 1 << 62, math.MaxInt} {
		p.SetSession(codec.Handshake{SID: "s", MaxPayload: max})
		require.Equal(t, int64(DefaultReadLimit), p.readLimit(), "maxPayload %d", max)
	}
}
