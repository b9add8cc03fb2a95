package codec

import (
	"fmt"
	"io"
	"math"
)

// ReadPayload reads a whole polling body from r, reading no more than
// limit+1 bytes, and decodes it with [DecodePayload], appending its packets
// to dst. It returns the packets, the body they alias and the first error.
// A negative limit counts as 0.
//
// A body longer than limit bytes is not decoded: ReadPayload returns an
// [*Error] matching [ErrTooLarge] whose Offset is limit, and a nil body. An
// error from r is returned wrapped, with a nil body; a decoding error is
// returned with the body, for diagnostics.
func ReadPayload(r io.Reader, limit int64, dst []Packet, rev Revision, binaryBody bool) ([]Packet, []byte, error) {
	body, err := ReadBody(r, limit)
	if err != nil {
		return dst, nil, err
	}
	dst, err = DecodePayload(dst, rev, body, binaryBody)
	return dst, body, err
}

// ReadBody reads a whole polling body from r as [ReadPayload] does,
// without decoding it, for [DecodePayloadPart].
func ReadBody(r io.Reader, limit int64) ([]byte, error) {
	limit = max(limit, 0)
	n := limit
	if n < math.MaxInt64 {
		n++
	}
	body, err := io.ReadAll(io.LimitReader(r, n))
	if err != nil {
		return nil, fmt.Errorf("codec: reading payload: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, errorf(ErrTooLarge, int(min(limit, math.MaxInt)), "body exceeds the %d-byte limit", limit)
	}
	return body, nil
}
