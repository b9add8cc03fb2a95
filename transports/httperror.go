package transports

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// HTTPError reports an HTTP answer a transport did not expect, such as the
// 400 a server gives for an unknown session id. Code and Message are the
// fields of the server's JSON error body when it sent one.
type HTTPError struct {
	Method  string // "GET", "POST", or "WebSocket" for a refused handshake
	Status  int    // the HTTP status code
	Body    []byte // the start of the response body
	Code    int    // the JSON body's "code", or -1 when absent
	Message string // the JSON body's "message", or the text of the body
}

// maxErrorBody bounds how much of an error body is kept.
const maxErrorBody = 4096

// NewHTTPError builds an HTTPError from a status and a response body,
// parsing the Engine.IO JSON error form {"code":N,"message":"…"} and the
// bare JSON string some servers send.
func NewHTTPError(method string, status int, body []byte) *HTTPError {
	if len(body) > maxErrorBody {
		body = body[:maxErrorBody]
	}
	e := &HTTPError{Method: method, Status: status, Body: body, Code: -1}
	var obj struct {
		Code    *int    `json:"code"`
		Message *string `json:"message"`
	}
	var str string
	switch {
	case json.Unmarshal(body, &obj) == nil && (obj.Code != nil || obj.Message != nil):
		if obj.Code != nil {
			e.Code = *obj.Code
		}
		if obj.Message != nil {
			e.Message = *obj.Message
		}
	case json.Unmarshal(body, &str) == nil:
		e.Message = str
	case utf8.Valid(body):
		e.Message = strings.TrimSpace(string(body))
	}
	return e
}

// Error returns "METHOD: HTTP status: message (code N)".
func (e *HTTPError) Error() string {
	s := fmt.Sprintf("%s: HTTP %d", e.Method, e.Status)
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Code >= 0 {
		s += fmt.Sprintf(" (code %d)", e.Code)
	}
	return s
}
