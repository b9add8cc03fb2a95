package codec

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// Every prefix of a valid input either decodes or fails with an [*Error];
// no decoder panics or reports an offset outside its input.

func TestTruncatedPayloads(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	type input struct {
		rev    Revision
		body   []byte
		binary bool
	}
	inputs := []input{
		{V4, []byte("4hello\x1e2\x1e4world"), false},
		{V4, []byte("4hello\x1ebAQIDBA=="), false},
		{V3, []byte("6:4hello2:4€10:b4AQIDBA=="), false},
		{V3, []byte("3:4😀0:5:4😀😀"), false},
		{V3, []byte{0, 6, 255, 52, 104, 101, 108, 108, 111, 1, 5, 255, 4, 1, 2, 3, 4}, true},
		{V3, AppendBinaryPayload(nil, []Packet{BinaryMessage(make([]byte, 999))}), true},
	}
	for _, rev := range []Revision{V4, V3} {
		for range 20 {
			pkts := randomPackets(rng, rev, 1+rng.IntN(5), true)
			inputs = append(inputs, input{rev, AppendPayload(nil, rev, pkts), false})
			if rev == V3 {
				inputs = append(inputs, input{rev, AppendBinaryPayload(nil, pkts), true})
			}
		}
	}
	for _, in := range inputs {
		for n := 0; n <= len(in.body); n++ {
			// Copy the prefix so a read past it trips the race detector
			// and bounds checks rather than reading the full input.
			prefix := bytes.Clone(in.body[:n])
			_, err := DecodePayload(nil, in.rev, prefix, in.binary)
			checkDecodeError(t, err, n)
			_, _, err = ReadPayload(bytes.NewReader(prefix), int64(n), nil, in.rev, in.binary)
			checkDecodeError(t, err, n)
			_, _, err = ReadPayload(bytes.NewReader(in.body), int64(n), nil, in.rev, in.binary)
			if n < len(in.body) {
				requireError(t, err, ErrTooLarge, n)
			}
		}
	}
}

func TestTruncatedFrames(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	type input struct {
		rev    Revision
		data   []byte
		binary bool
	}
	inputs := []input{
		{V4, []byte("4hello"), false},
		{V4, []byte("bAQIDBA=="), false},
		{V3, []byte("b4AQIDBA=="), false},
		{V3, []byte{4, 1, 2, 3, 4}, true},
		{V4, []byte{1, 2, 3}, true},
	}
	for _, rev := range []Revision{V4, V3} {
		for range 50 {
			data, binary := AppendFrame(nil, rev, randomPacket(rng, rev, false))
			inputs = append(inputs, input{rev, data, binary})
		}
	}
	for _, in := range inputs {
		for n := 0; n <= len(in.data); n++ {
			_, err := DecodeFrame(in.rev, bytes.Clone(in.data[:n]), in.binary)
			checkDecodeError(t, err, n)
		}
	}
}

func TestTruncatedHandshake(t *testing.T) {
	inputs := []string{
		`{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`,
		`{"sid":"abc","upgrades":[],"pingInterval":2.5e4,"pingTimeout":60000,"extra":{"k":[null,true,"\u20ac"]}}`,
	}
	for _, in := range inputs {
		for n := 0; n <= len(in); n++ {
			_, err := ParseHandshake([]byte(in[:n]))
			checkDecodeError(t, err, n)
		}
	}
}
