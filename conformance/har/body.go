package har

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// EncodingBase64 is the one body encoding HAR tools use: the text field
// holds the body in standard base64.
const EncodingBase64 = "base64"

// Body returns the request body in a fresh slice, decoding base64 when
// PostData.Encoding says so. A request without PostData has a nil body.
func (r *Request) Body() ([]byte, error) {
	if r.PostData == nil {
		return nil, nil
	}
	return decodeText(r.PostData.Text, r.PostData.Encoding)
}

// Body returns the response body in a fresh slice; see [Content.Bytes].
func (r *Response) Body() ([]byte, error) { return r.Content.Bytes() }

// Bytes returns the body in a fresh slice, decoding base64 when Encoding
// says so. An absent text is an empty body: HAR cannot tell it from a
// body the tool did not save (Size may tell).
func (c *Content) Bytes() ([]byte, error) { return decodeText(c.Text, c.Encoding) }

func decodeText(text, encoding string) ([]byte, error) {
	switch encoding {
	case "":
		return []byte(text), nil
	case EncodingBase64:
		return decodeBase64(text)
	}
	return nil, fmt.Errorf("unsupported encoding %q", encoding)
}

// decodeBase64 decodes standard base64, padded or not; line breaks are
// ignored.
func decodeBase64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		s = strings.NewReplacer("\r", "", "\n", "").Replace(s)
	}
	if len(s)%4 != 0 && !strings.HasSuffix(s, "=") {
		return base64.RawStdEncoding.DecodeString(s)
	}
	return base64.StdEncoding.DecodeString(s)
}
