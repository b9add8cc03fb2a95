package codec

import (
	"bytes"
	"slices"
	"testing"
)

// The fuzz targets run their seeds (f.Add and testdata/fuzz) as ordinary
// tests. Each checks that its decoder never panics, that failures are
// well-formed [*Error] values, and that what decodes survives a second
// trip through the matching encoder.

func revOf(v3 bool) Revision {
	if v3 {
		return V3
	}
	return V4
}

func FuzzDecodeFrame(f *testing.F) {
	f.Add([]byte("4hello"), false, false)
	f.Add([]byte{1, 2, 3, 4}, false, true)
	f.Add([]byte{4, 1, 2, 3, 4}, true, true)
	f.Add([]byte("b4AQIDBA=="), true, false)
	f.Add([]byte("bAQIDBA=="), false, false)
	f.Fuzz(func(t *testing.T, data []byte, v3, binary bool) {
		rev := revOf(v3)
		p, err := DecodeFrame(rev, data, binary)
		if err != nil {
			checkDecodeError(t, err, len(data))
			return
		}
		enc, bin := AppendFrame(nil, rev, p)
		q, err := DecodeFrame(rev, enc, bin)
		if err != nil {
			t.Fatalf("re-encoded %v as %q: %v", p, enc, err)
		}
		if !samePackets([]Packet{p}, []Packet{q}) {
			t.Fatalf("round trip changed %v into %v", p, q)
		}
	})
}

func FuzzDecodePayload(f *testing.F) {
	f.Add([]byte("4hello\x1e2\x1e4world"), false)
	f.Add([]byte("4hello\x1ebAQIDBA=="), false)
	f.Add([]byte("6:4hello2:4€10:b4AQIDBA=="), true)
	f.Add([]byte("3:4😀0:"), true)
	f.Fuzz(func(t *testing.T, body []byte, v3 bool) {
		rev := revOf(v3)
		pkts, err := DecodePayload(nil, rev, body, false)
		if err != nil {
			checkDecodeError(t, err, len(body))
			return
		}
		if rev == V4 && len(pkts) == 0 {
			t.Fatalf("revision 4 payload %q decoded to no packets", body)
		}
		enc := AppendPayload(nil, rev, pkts)
		again, err := DecodePayload(nil, rev, enc, false)
		if err != nil {
			t.Fatalf("re-encoded %v as %q: %v", pkts, enc, err)
		}
		if !samePackets(pkts, again) {
			t.Fatalf("round trip changed %v into %v", pkts, again)
		}
	})
}

func FuzzDecodeBinaryPayload(f *testing.F) {
	f.Add([]byte{0, 6, 255, 52, 104, 101, 108, 108, 111, 1, 5, 255, 4, 1, 2, 3, 4})
	f.Add([]byte("\x00\x04\xff4€\x01\x05\xff\x04\x01\x02\x03\x04"))
	f.Add([]byte{1, 1, 0, 0, 0, 255, 4})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		pkts, err := DecodePayload(nil, V3, body, true)
		if err != nil {
			checkDecodeError(t, err, len(body))
			return
		}
		enc := AppendBinaryPayload(nil, pkts)
		again, err := DecodePayload(nil, V3, enc, true)
		if err != nil {
			t.Fatalf("re-encoded %v as %q: %v", pkts, enc, err)
		}
		if !samePackets(pkts, again) {
			t.Fatalf("round trip changed %v into %v", pkts, again)
		}
	})
}

func FuzzReadPayload(f *testing.F) {
	f.Add([]byte("4hello\x1e2"), uint16(100), false, false)
	f.Add([]byte("4hello\x1e2"), uint16(3), false, false)
	f.Add([]byte("6:4hello"), uint16(8), true, false)
	f.Add([]byte{0, 1, 255, 50}, uint16(4), true, true)
	f.Fuzz(func(t *testing.T, body []byte, limit uint16, v3, binary bool) {
		r := &countingReader{r: bytes.NewReader(body)}
		pkts, got, err := ReadPayload(r, int64(limit), nil, revOf(v3), binary)
		if r.n > int64(limit)+1 {
			t.Fatalf("read %d bytes with limit %d", r.n, limit)
		}
		if len(body) > int(limit) {
			requireError(t, err, ErrTooLarge, int(limit))
			if got != nil || len(pkts) != 0 {
				t.Fatalf("too large body returned %q, %v", got, pkts)
			}
			return
		}
		checkDecodeError(t, err, len(body))
		if !bytes.Equal(got, body) {
			t.Fatalf("body %q, want %q", got, body)
		}
	})
}

func FuzzParseHandshake(f *testing.F) {
	f.Add([]byte(`{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`))
	f.Add([]byte(`{"sid":"a","pingInterval":1e300,"pingTimeout":0.5,"maxPayload":1e300}`))
	f.Add([]byte(`{"sid":"a","upgrades":[],"pingInterval":25000,"pingTimeout":5000}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParseHandshake(data)
		if err != nil {
			checkDecodeError(t, err, len(data))
			return
		}
		if h.SID == "" || h.PingInterval < 0 || h.PingTimeout < 0 || h.MaxPayload < 0 ||
			h.PingInterval > MaxInterval || h.PingTimeout > MaxInterval {
			t.Fatalf("accepted a bad handshake: %+v", h)
		}
	})
}

// FuzzRoundTrip builds packets from its input and checks that every
// encoder's output decodes back to them, within the limits [CheckPacket]
// documents: revision 4 sends binary data only in messages and cannot put
// 0x1e in polling text. Invalid UTF-8 is kept; the codec carries it intact.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("\x04\x05hello\x84\x04\x01\x02\x03\x04\x02\x00"), false)
	f.Add([]byte("\x04\x04😀\x04\x03€\x92\x01\xff"), true)
	f.Add([]byte("\x04\x03a\x1eb"), false)
	f.Fuzz(func(t *testing.T, in []byte, v3 bool) {
		rev := revOf(v3)
		pkts := packetsFrom(in, rev)
		for _, p := range pkts {
			enc, bin := AppendFrame(nil, rev, p)
			got, err := DecodeFrame(rev, enc, bin)
			if err != nil || !samePackets([]Packet{p}, []Packet{got}) {
				t.Fatalf("frame %q of %v decoded to %v, %v", enc, p, got, err)
			}
		}
		if rev == V3 {
			enc := AppendBinaryPayload(nil, pkts)
			got, err := DecodePayload(nil, rev, enc, true)
			if err != nil || !samePackets(pkts, got) {
				t.Fatalf("binary payload %q of %v decoded to %v, %v", enc, pkts, got, err)
			}
		} else {
			for i := range pkts {
				if !pkts[i].Binary {
					pkts[i].Data = bytes.ReplaceAll(pkts[i].Data, []byte{recordSeparator}, []byte("_"))
				}
			}
			if len(pkts) == 0 {
				return // revision 4 has no empty payload
			}
		}
		enc := AppendPayload(nil, rev, pkts)
		size := 0
		for i, p := range pkts {
			size += PayloadPacketLen(rev, p, i == 0)
		}
		if len(pkts) > 0 && size != len(enc) {
			t.Fatalf("PayloadPacketLen sums to %d for the %d-byte payload %q", size, len(enc), enc)
		}
		got, err := DecodePayload(nil, rev, enc, false)
		if err != nil || !samePackets(pkts, got) {
			t.Fatalf("payload %q of %v decoded to %v, %v", enc, pkts, got, err)
		}
	})
}

// packetsFrom reads packets from in: a header byte (bits 0-2 the type
// modulo 7, bit 7 binary), a length byte, then that many data bytes.
func packetsFrom(in []byte, rev Revision) []Packet {
	var pkts []Packet
	for len(in) >= 2 {
		h, n := in[0], int(in[1])
		in = in[2:]
		n = min(n, len(in))
		p := Packet{Type: PacketType(h&7) % 7, Data: slices.Clone(in[:n]), Binary: h&0x80 != 0}
		if p.Binary && rev == V4 {
			p.Type = Message
		}
		pkts = append(pkts, p)
		in = in[n:]
	}
	return pkts
}

// samePackets compares packets by content, nil and empty data alike.
func samePackets(a, b []Packet) bool {
	return slices.EqualFunc(a, b, func(p, q Packet) bool {
		return p.Type == q.Type && p.Binary == q.Binary && bytes.Equal(p.Data, q.Data)
	})
}

// FuzzDecodePayloadPart decodes payloads of every kind a part at a time
// and checks that the parts add up to the whole: the same packets, and the
// same error, as DecodePayload gives.
func FuzzDecodePayloadPart(f *testing.F) {
	f.Add([]byte("4hello\x1e2\x1e4world"), false, false, uint8(1))
	f.Add([]byte("4a\x1e4b\x1e"), false, false, uint8(1))
	f.Add([]byte("6:4hello2:4€0:0:10:b4AQIDBA=="), true, false, uint8(2))
	f.Add([]byte("\x00\x02\xff4a\x01\x03\xff\x04xy\x00\x02\xff4b"), true, true, uint8(1))
	f.Fuzz(func(t *testing.T, body []byte, v3, binaryBody bool, max uint8) {
		rev := revOf(v3)
		whole, werr := DecodePayload(nil, rev, body, binaryBody)
		var parts []Packet
		var perr error
		off := 0
		for turn := 0; ; turn++ {
			if turn > len(body)+1 {
				t.Fatalf("%q in parts of %d: no end after %d parts", body, max, turn)
			}
			before := len(parts)
			var next int
			parts, next, perr = DecodePayloadPart(parts, rev, body, binaryBody, off, int(max))
			if perr != nil {
				break
			}
			if max > 0 && len(parts)-before > int(max) {
				t.Fatalf("part of %d packets, bound %d", len(parts)-before, max)
			}
			if next == len(body) {
				break
			}
			if next <= off {
				t.Fatalf("%q: part from %d ended at %d", body, off, next)
			}
			off = next
		}
		if (werr == nil) != (perr == nil) || (werr != nil && werr.Error() != perr.Error()) {
			t.Fatalf("%q in parts of %d: error %v, whole: %v", body, max, perr, werr)
		}
		if !samePackets(whole, parts) {
			t.Fatalf("%q in parts of %d: %v, whole: %v", body, max, parts, whole)
		}
	})
}
