package codec

import (
	"bytes"
	"encoding/base64"
)

// recordSeparator separates packets in a revision 4 polling payload.
const recordSeparator = 0x1e

// AppendPayload appends the text polling payload that carries pkts to dst:
// in revision 4 the packets separated by 0x1e, binary messages as "b" and
// standard base64; in revision 3 each packet framed as "<length>:" where
// the length counts UTF-16 code units, binary packets as "b", the type
// digit and standard base64, and an empty list as "0:". Any revision other
// than [V3] is encoded as [V4].
//
// AppendPayload does not validate pkts; see [CheckPacket] for what each
// revision cannot carry (for example 0x1e inside revision 4 text, or binary
// data in a revision 4 packet other than a message).
func AppendPayload(dst []byte, rev Revision, pkts []Packet) []byte {
	if rev == V3 {
		return appendPayloadV3(dst, pkts)
	}
	for i, p := range pkts {
		if i > 0 {
			dst = append(dst, recordSeparator)
		}
		dst = appendPollingPacketV4(dst, p)
	}
	return dst
}

func appendPollingPacketV4(dst []byte, p Packet) []byte {
	if p.Binary {
		dst = append(dst, 'b')
		return base64.StdEncoding.AppendEncode(dst, p.Data)
	}
	dst = append(dst, '0'+byte(p.Type))
	return append(dst, p.Data...)
}

// PayloadPacketLen returns the number of bytes p adds to a text polling
// payload of revision rev, as [AppendPayload] encodes it. In revision 4 that
// is the packet plus the 0x1e separator when it is not the first; in
// revision 3 it is the length prefix, the colon and the packet, whatever
// first says. This is the size a server compares with maxPayload.
func PayloadPacketLen(rev Revision, p Packet, first bool) int {
	if rev == V3 {
		return payloadPacketLenV3(p)
	}
	n := 1
	if !first {
		n++
	}
	if p.Binary {
		return n + base64.StdEncoding.EncodedLen(len(p.Data))
	}
	return n + len(p.Data)
}

// DecodePayload decodes a polling response or request body and appends its
// packets to dst. binaryBody is true when the body was sent as
// application/octet-stream, a revision 3 binary payload; revision 4 has no
// binary payloads and ignores it. Any revision other than [V3] is decoded
// as [V4].
//
// Text packets and the binary packets of a binary payload alias body (with
// their capacity clipped); base64 packets are decoded into fresh slices, one
// allocation each. An empty text body is an error; an empty binary body and
// the revision 3 frame "0:" carry no packets.
//
// On failure DecodePayload returns an [*Error] together with dst extended by
// the packets decoded before the fault; a caller that treats a malformed
// payload as fatal, as the reference implementations do, can drop them.
func DecodePayload(dst []Packet, rev Revision, body []byte, binaryBody bool) ([]Packet, error) {
	dst, _, err := DecodePayloadPart(dst, rev, body, binaryBody, 0, 0)
	return dst, err
}

// DecodePayloadPart decodes a payload as [DecodePayload] does, a part at a
// time: the packets of body from byte offset off on, at most max of them
// (no bound when max <= 0). It returns them appended to dst, and the offset
// to pass as off to decode the next part: len(body) once the payload is
// done. off is 0 for the first part. Decoding a payload part by part gives
// the packets and the error that decoding it whole gives, so a large
// payload can be handed on without a packet for each of its records held
// at once. On failure the offset returned is that of the faulty record.
func DecodePayloadPart(dst []Packet, rev Revision, body []byte, binaryBody bool, off, max int) ([]Packet, int, error) {
	if off < 0 || off > len(body) {
		return dst, off, errorf(ErrFraming, 0, "offset %d outside the payload of %d bytes", off, len(body))
	}
	if rev == V3 {
		if binaryBody {
			return decodeBinaryPayloadV3(dst, body, off, max)
		}
		return decodePayloadV3(dst, body, off, max)
	}
	if len(body) == 0 {
		return dst, 0, errorf(ErrFraming, 0, "empty payload")
	}
	if off == len(body) {
		return dst, off, nil
	}
	for start, n := off, 0; ; {
		end := len(body)
		if i := bytes.IndexByte(body[start:], recordSeparator); i >= 0 {
			end = start + i
		}
		p, err := decodePollingPacketV4(body[start:end], start)
		if err != nil {
			return dst, start, err
		}
		dst = append(dst, p)
		if end == len(body) {
			return dst, end, nil
		}
		start = end + 1
		// A separator at the very end leaves an empty record, which the
		// next turn reports: a part never ends there.
		if n++; n == max && start < len(body) {
			return dst, start, nil
		}
	}
}

func decodePollingPacketV4(seg []byte, off int) (Packet, error) {
	if len(seg) > 0 && seg[0] == 'b' {
		data, err := decodeBase64(seg[1:], off+1)
		if err != nil {
			return Packet{}, err
		}
		return Packet{Type: Message, Data: data, Binary: true}, nil
	}
	return decodeText(seg, off)
}

func decodeBase64(src []byte, off int) ([]byte, error) {
	data := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
	n, err := base64.StdEncoding.Decode(data, src)
	if err != nil {
		pos := off
		if ce, ok := err.(base64.CorruptInputError); ok {
			pos += int(ce)
		}
		return nil, errorf(ErrFraming, pos, "bad base64 data: %v", err)
	}
	return data[:n], nil
}

// Batch returns how many leading packets of pkts fit in one polling payload
// of at most maxPayload bytes (0 or less means no limit). It returns an
// error matching [ErrTooLarge] when the first packet alone does not fit.
func Batch(rev Revision, pkts []Packet, maxPayload int) (int, error) {
	if maxPayload <= 0 {
		return len(pkts), nil
	}
	size := 0
	for i, p := range pkts {
		size += PayloadPacketLen(rev, p, i == 0)
		if size > maxPayload {
			if i == 0 {
				return 0, errorf(ErrTooLarge, 0, "%s packet needs %d bytes, maxPayload is %d",
					p.Type, size, maxPayload)
			}
			return i, nil
		}
	}
	return len(pkts), nil
}
