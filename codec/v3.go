package codec

import (
	"encoding/base64"
	"encoding/binary"
	"strconv"
	"unicode/utf8"
)

// Revision 3 text payloads frame each packet as "<length>:<packet>", where
// length counts the UTF-16 code units of the encoded packet: the unit a
// JavaScript string's length counts, not bytes and not runes. Binary
// packets travel as "b<type digit><standard base64>".

// appendPayloadV3 appends the revision 3 text payload carrying pkts. An empty
// list is encoded as "0:", a payload whose only frame is empty.
func appendPayloadV3(dst []byte, pkts []Packet) []byte {
	if len(pkts) == 0 {
		return append(dst, '0', ':')
	}
	for _, p := range pkts {
		dst = strconv.AppendInt(dst, int64(packetUnitsV3(p)), 10)
		dst = append(dst, ':')
		dst = appendPacketV3Text(dst, p)
	}
	return dst
}

// appendPacketV3Text appends p in the text form of revision 3: the type
// digit and the data, or "b", the type digit and the data in base64.
func appendPacketV3Text(dst []byte, p Packet) []byte {
	if p.Binary {
		dst = append(dst, 'b', '0'+byte(p.Type))
		return base64.StdEncoding.AppendEncode(dst, p.Data)
	}
	dst = append(dst, '0'+byte(p.Type))
	return append(dst, p.Data...)
}

// packetUnitsV3 returns the length prefix of p in a revision 3 text
// payload: the UTF-16 length of its text form.
func packetUnitsV3(p Packet) int {
	if p.Binary {
		return 2 + base64.StdEncoding.EncodedLen(len(p.Data))
	}
	return 1 + utf16Len(p.Data)
}

// payloadPacketLenV3 returns the bytes p adds to a revision 3 text payload:
// its length prefix, the colon and its text form.
func payloadPacketLenV3(p Packet) int {
	n := 1 + decimalLen(packetUnitsV3(p))
	if p.Binary {
		return n + 2 + base64.StdEncoding.EncodedLen(len(p.Data))
	}
	return n + 1 + len(p.Data)
}

// decimalLen returns the number of decimal digits of n >= 0.
func decimalLen(n int) int {
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}

// utf16Len returns the number of UTF-16 code units of the UTF-8 text b:
// two for a rune above U+FFFF, one for any other rune. A byte that is not
// part of valid UTF-8 counts as one unit, as the U+FFFD that replaces it
// would.
func utf16Len(b []byte) int {
	n := 0
	for i := 0; i < len(b); {
		if a := asciiPrefix(b[i:]); a > 0 {
			n += a
			i += a
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		i += size
		n += runeUnits(r)
	}
	return n
}

// asciiPrefix returns the length of the longest ASCII prefix of b, looking
// at eight bytes at a time.
func asciiPrefix(b []byte) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 != 0 {
			break
		}
	}
	for i < len(b) && b[i] < utf8.RuneSelf {
		i++
	}
	return i
}

func runeUnits(r rune) int {
	if r > 0xFFFF {
		return 2
	}
	return 1
}

// advanceUnits returns the offset in b just past n UTF-16 code units
// starting at i. ok is false when b ends first or the n-th unit is the
// first half of a surrogate pair.
func advanceUnits(b []byte, i, n int) (end int, ok bool) {
	for n > 0 {
		if i >= len(b) {
			return i, false
		}
		if a := min(asciiPrefix(b[i:min(len(b), i+n)]), n); a > 0 {
			i += a
			n -= a
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		u := runeUnits(r)
		if u > n {
			return i, false
		}
		i += size
		n -= u
	}
	return i, true
}

// decodePayloadV3 decodes a revision 3 text payload from off on, at most
// max packets (see DecodePayloadPart). A frame of length 0 ("0:") carries
// no packet and is skipped, as the reference parser does.
func decodePayloadV3(dst []Packet, body []byte, off, max int) ([]Packet, int, error) {
	if len(body) == 0 {
		return dst, 0, errorf(ErrFraming, 0, "empty payload")
	}
	n := 0
	for i := off; i < len(body); {
		if n == max && max > 0 {
			return dst, i, nil
		}
		start := i
		size := 0
		for ; i < len(body) && body[i] != ':'; i++ {
			c := body[i]
			if c < '0' || c > '9' {
				return dst, start, errorf(ErrFraming, i, "length prefix byte %q", c)
			}
			d := int(c - '0')
			if size > (len(body)-d)/10 {
				return dst, start, errorf(ErrFraming, start, "length prefix exceeds the payload")
			}
			size = size*10 + d
		}
		switch {
		case i == len(body):
			return dst, start, errorf(ErrFraming, start, "length prefix without ':'")
		case i == start:
			return dst, start, errorf(ErrFraming, i, "empty length prefix")
		}
		i++ // the colon
		end, ok := advanceUnits(body, i, size)
		if !ok {
			return dst, start, errorf(ErrFraming, i, "packet of %d UTF-16 units does not fit the payload", size)
		}
		if end == i {
			continue
		}
		p, err := decodePacketV3Text(body[i:end], i)
		if err != nil {
			return dst, start, err
		}
		dst = append(dst, p)
		n++
		i = end
	}
	return dst, len(body), nil
}

// decodePacketV3Text decodes one packet in revision 3 text form. off is the
// position of seg in the caller's input, for errors.
func decodePacketV3Text(seg []byte, off int) (Packet, error) {
	if len(seg) == 0 || seg[0] != 'b' {
		return decodeText(seg, off)
	}
	if len(seg) < 2 {
		return Packet{}, errorf(ErrFraming, off+1, "base64 packet without a type")
	}
	c := seg[1]
	if c < '0' || c > '9' || !PacketType(c-'0').Valid() {
		return Packet{}, errorf(ErrUnknownType, off+1, "packet type %q", c)
	}
	data, err := decodeBase64(seg[2:], off+2)
	if err != nil {
		return Packet{}, err
	}
	return Packet{Type: PacketType(c - '0'), Data: data, Binary: true}, nil
}
