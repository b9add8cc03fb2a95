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

// TestReadLimitAbsurdMaxPayload: a server's maxPayload sets the poll
// limit only up to DefaultReadLimit. Before, 1e15 gave a limit of 2e15
// bytes (none in practice), and math.MaxInt (what ParseHandshake makes of
// 1e300) doubled past int64 to a limit of 4094 bytes, or below zero for
// 2^62, refusing every poll.
func TestReadLimitAbsurdMaxPayload(t *testing.T) {
	u, err := url.Parse("http://127.0.0.1:1")
	require.NoError(t, err)
	tr, err := Open(context.Background(), transports.Config{URL: u, Revision: codec.V4})
	require.NoError(t, err)
	p := tr.(*Transport)
	capped := int64(2*DefaultReadLimit + 4096)
	for _, max := range []int{DefaultReadLimit, DefaultReadLimit + 1, 1e15, 1 << 62, math.MaxInt} {
		p.SetSession(codec.Handshake{SID: "s", MaxPayload: max})
		require.Equal(t, capped, p.readLimit(), "maxPayload %d", max)
	}
	p.SetSession(codec.Handshake{SID: "s", MaxPayload: 1_000_000})
	require.Equal(t, int64(2_004_096), p.readLimit(), "engine.io's default is taken as it is")
}
