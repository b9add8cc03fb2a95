package record

import (
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/eio-go/eio/conformance/har"
)

// requestOf records a request's head under the URL it has on the target.
func requestOf(r *http.Request, recordedURL string) har.Request {
	req := har.Request{
		Method:      r.Method,
		URL:         recordedURL,
		HTTPVersion: r.Proto,
		Headers:     headersOf(r.Header),
		HeadersSize: -1,
		BodySize:    0,
	}
	if u, err := url.Parse(recordedURL); err == nil {
		for k, vs := range u.Query() {
			for _, v := range vs {
				req.QueryString = append(req.QueryString, har.QueryParam{Name: k, Value: v})
			}
		}
		sort.SliceStable(req.QueryString, func(i, j int) bool { return req.QueryString[i].Name < req.QueryString[j].Name })
	}
	for _, c := range r.Cookies() {
		req.Cookies = append(req.Cookies, har.Cookie{Name: c.Name, Value: c.Value})
	}
	return req
}

// responseOf records a response and its body.
func responseOf(resp *http.Response, body []byte) har.Response {
	out := har.Response{
		Status:      resp.StatusCode,
		StatusText:  strings.TrimSpace(strings.TrimPrefix(resp.Status, http.StatusText(resp.StatusCode)+"")),
		HTTPVersion: resp.Proto,
		Headers:     headersOf(resp.Header),
		Content:     content(resp.Header.Get("Content-Type"), body),
		HeadersSize: -1,
		BodySize:    int64(len(body)),
	}
	out.StatusText = http.StatusText(resp.StatusCode)
	for _, c := range resp.Cookies() {
		out.Cookies = append(out.Cookies, har.Cookie{Name: c.Name, Value: c.Value, Path: c.Path,
			Domain: c.Domain, HTTPOnly: c.HttpOnly, Secure: c.Secure})
	}
	return out
}

// headersOf lists headers sorted by name, for stable files.
func headersOf(h http.Header) []har.Header {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []har.Header
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, har.Header{Name: k, Value: v})
		}
	}
	return out
}

// postData records a request body: as text when it is UTF-8 and not
// declared binary, base64 otherwise.
func postData(contentType string, body []byte) *har.PostData {
	pd := &har.PostData{MimeType: contentType}
	if textual(contentType, body) {
		pd.Text = string(body)
	} else {
		pd.Text = base64.StdEncoding.EncodeToString(body)
		pd.Encoding = har.EncodingBase64
	}
	return pd
}

// content records a response body the same way.
func content(contentType string, body []byte) har.Content {
	c := har.Content{Size: int64(len(body)), MimeType: contentType}
	if textual(contentType, body) {
		c.Text = string(body)
	} else {
		c.Text = base64.StdEncoding.EncodeToString(body)
		c.Encoding = har.EncodingBase64
	}
	return c
}

func textual(contentType string, body []byte) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/octet-stream" {
		return false
	}
	return utf8.Valid(body)
}
