package codec

import "strconv"

// Revision 3 binary payloads (Content-Type application/octet-stream) frame
// each packet as a marker byte (0x00 text, 0x01 binary), its length as one
// byte per decimal digit valued 0 to 9, the byte 0xFF, then the packet: the
// UTF-8 text form for text packets, the type byte and raw data for binary
// ones. The length counts bytes.
const (
	markerText     = 0x00
	markerBinary   = 0x01
	lengthEnd      = 0xFF
	maxLengthDigit = 310 // the reference parser's guard: digits of the largest float64
)

// AppendBinaryPayload appends the revision 3 binary payload carrying pkts to
// dst, the body of an application/octet-stream polling request. Text
// packets are framed as their UTF-8 text form, binary packets as their type
// byte followed by the data. An empty list appends nothing.
func AppendBinaryPayload(dst []byte, pkts []Packet) []byte {
	for _, p := range pkts {
		if p.Binary {
			dst = append(dst, markerBinary)
		} else {
			dst = append(dst, markerText)
		}
		start := len(dst)
		dst = strconv.AppendInt(dst, int64(1+len(p.Data)), 10)
		for i := start; i < len(dst); i++ {
			dst[i] -= '0'
		}
		dst = append(dst, lengthEnd)
		if p.Binary {
			dst = append(dst, byte(p.Type))
		} else {
			dst = append(dst, '0'+byte(p.Type))
		}
		dst = append(dst, p.Data...)
	}
	return dst
}

// decodeBinaryPayloadV3 decodes a revision 3 binary payload from off on,
// at most max packets (see DecodePayloadPart). An empty body carries no
// packets.
func decodeBinaryPayloadV3(dst []Packet, body []byte, off, max int) ([]Packet, int, error) {
	for i, count := off, 0; i < len(body); count++ {
		if count == max && max > 0 {
			return dst, i, nil
		}
		start := i
		marker := body[i]
		if marker != markerText && marker != markerBinary {
			return dst, start, errorf(ErrFraming, i, "packet marker 0x%02x, want 0x00 or 0x01", marker)
		}
		i++
		n, digits := 0, 0
		for ; ; i++ {
			if i == len(body) {
				return dst, start, errorf(ErrFraming, start, "length without 0xff terminator")
			}
			c := body[i]
			if c == lengthEnd {
				break
			}
			if c > 9 {
				return dst, start, errorf(ErrFraming, i, "length digit 0x%02x", c)
			}
			if digits++; digits > maxLengthDigit {
				return dst, start, errorf(ErrFraming, i, "length of more than %d digits", maxLengthDigit)
			}
			if n > (len(body)-int(c))/10 {
				return dst, start, errorf(ErrFraming, start, "length exceeds the payload")
			}
			n = n*10 + int(c)
		}
		if digits == 0 {
			return dst, start, errorf(ErrFraming, i, "empty length")
		}
		i++ // the 0xff terminator
		switch {
		case n == 0:
			return dst, start, errorf(ErrFraming, i, "empty packet")
		case n > len(body)-i:
			return dst, start, errorf(ErrFraming, i, "packet of %d bytes, %d left in the payload", n, len(body)-i)
		}
		seg := body[i : i+n]
		var p Packet
		if marker == markerText {
			var err error
			if p, err = decodePacketV3Text(seg, i); err != nil {
				return dst, start, err
			}
		} else {
			t := PacketType(seg[0])
			if !t.Valid() {
				return dst, start, errorf(ErrUnknownType, i, "binary packet type byte 0x%02x", seg[0])
			}
			p = Packet{Type: t, Data: seg[1:n:n], Binary: true}
		}
		dst = append(dst, p)
		i += n
	}
	return dst, len(body), nil
}
