package codec

import (
	"bytes"
	"unicode/utf8"
)

// CheckPacket reports whether p survives a round trip through the encoders
// of revision rev unchanged, and returns an [*Error] describing the first
// problem when it does not. polling selects the polling transport's text
// payloads rather than WebSocket frames. Offsets count from the start of
// the packet's text form, whose byte 0 is the type digit.
//
// The encoders themselves do not check; they trust their input. The rules:
//
//   - the type must be one of the seven ([ErrUnknownType]);
//   - in revision 4 binary data travels only in message packets, since
//     neither its binary frames nor its "b" base64 form carry a type;
//   - text data must be valid UTF-8, as a WebSocket text frame and the
//     UTF-16 lengths of revision 3 require;
//   - in a revision 4 polling payload text data must not contain the 0x1e
//     record separator, which the protocol has no way to escape.
func CheckPacket(rev Revision, p Packet, polling bool) error {
	if !p.Type.Valid() {
		return errorf(ErrUnknownType, 0, "packet type %d", byte(p.Type))
	}
	if p.Binary {
		if rev != V3 && p.Type != Message {
			return errorf(ErrFraming, 0, "revision 4 carries binary data only in message packets, not %s", p.Type)
		}
		return nil
	}
	if !utf8.Valid(p.Data) {
		return errorf(ErrFraming, 1+invalidUTF8At(p.Data), "text data is not valid UTF-8")
	}
	if rev != V3 && polling {
		if i := bytes.IndexByte(p.Data, recordSeparator); i >= 0 {
			return errorf(ErrFraming, 1+i, "text data contains the 0x1e record separator")
		}
	}
	return nil
}

// invalidUTF8At returns the offset of the first byte of b that is not part
// of valid UTF-8, or len(b).
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(b)
}
