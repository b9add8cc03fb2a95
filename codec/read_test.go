package codec

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// endless yields an unbounded stream of 'x' bytes and counts what it gave.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	e.n += int64(len(p))
	return len(p), nil
}

func TestReadPayload(t *testing.T) {
	body := "4hello\x1e2\x1ebAQIDBA=="
	for _, limit := range []int64{int64(len(body)), int64(len(body)) + 1, 1 << 20, math.MaxInt64} {
		pkts, got, err := ReadPayload(strings.NewReader(body), limit, nil, V4, false)
		require.NoError(t, err)
		require.Equal(t, body, string(got))
		require.Equal(t, []Packet{TextMessage("hello"), {Type: Ping}, BinaryMessage([]byte{1, 2, 3, 4})}, normalize(pkts))
	}

	bin := AppendBinaryPayload(nil, []Packet{TextMessage("hi"), BinaryMessage([]byte{9})})
	pkts, _, err := ReadPayload(bytes.NewReader(bin), 100, make([]Packet, 0, 4), V3, true)
	require.NoError(t, err)
	require.Equal(t, []Packet{TextMessage("hi"), BinaryMessage([]byte{9})}, pkts)
}

func TestReadPayloadTooLarge(t *testing.T) {
	body := "4hello\x1e2"
	for _, limit := range []int64{int64(len(body)) - 1, 1, 0, -5} {
		pkts, got, err := ReadPayload(strings.NewReader(body), limit, nil, V4, false)
		requireError(t, err, ErrTooLarge, int(max(limit, 0)))
		require.Nil(t, got)
		require.Empty(t, pkts)
	}
}

// ReadPayload never takes more than limit+1 bytes from the reader.
func TestReadPayloadBounded(t *testing.T) {
	for _, limit := range []int64{0, 1, 100, 4096, 100000} {
		r := &endless{}
		_, _, err := ReadPayload(r, limit, nil, V3, false)
		requireError(t, err, ErrTooLarge, int(limit))
		require.Equal(t, limit+1, r.n)
	}
}

func TestReadPayloadErrors(t *testing.T) {
	boom := errors.New("boom")
	_, got, err := ReadPayload(io.MultiReader(strings.NewReader("4a"), errReader{boom}), 100, nil, V4, false)
	require.ErrorIs(t, err, boom)
	require.Nil(t, got)

	// Decoding errors come with the body.
	_, got, err = ReadPayload(strings.NewReader("4a\x1e9"), 100, nil, V4, false)
	requireError(t, err, ErrUnknownType, 3)
	require.Equal(t, "4a\x1e9", string(got))

	// An empty body: an error in text, no packets in binary.
	_, _, err = ReadPayload(strings.NewReader(""), 100, nil, V4, false)
	requireError(t, err, ErrFraming, 0)
	pkts, _, err := ReadPayload(strings.NewReader(""), 100, nil, V3, true)
	require.NoError(t, err)
	require.Empty(t, pkts)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
