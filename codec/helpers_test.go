package codec

import (
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// requireError checks that err is an [*Error] of the given kind whose
// offset is off (any offset when off is negative).
func requireError(t testing.TB, err error, kind error, off int) {
	t.Helper()
	require.ErrorIs(t, err, kind)
	var ce *Error
	require.ErrorAs(t, err, &ce)
	if off >= 0 {
		require.Equal(t, off, ce.Offset, "offset of %v", err)
	}
}

// checkDecodeError fails unless err is nil or an [*Error] with one of the
// package's sentinels and an offset inside an input of n bytes.
func checkDecodeError(t testing.TB, err error, n int) {
	t.Helper()
	if err == nil {
		return
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	switch ce.Kind {
	case ErrUnknownType, ErrFraming, ErrTooLarge, ErrHandshake:
	default:
		t.Fatalf("error %v has kind %v, not a sentinel", err, ce.Kind)
	}
	if ce.Offset < 0 || ce.Offset > n {
		t.Fatalf("error %v: offset %d outside the %d-byte input", err, ce.Offset, n)
	}
}

// normalize maps nil and empty Data to the same value so packets compare
// by content.
func normalize(pkts []Packet) []Packet {
	out := make([]Packet, len(pkts))
	for i, p := range pkts {
		if len(p.Data) == 0 {
			p.Data = nil
		}
		out[i] = p
	}
	return out
}

// countingReader counts the bytes r returned.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
