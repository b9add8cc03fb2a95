package har

import "time"

// Version is the HAR format version this package writes.
const Version = "1.2"

// Log is the root object of a HAR file, the value of its "log" key.
type Log struct {
	// Version is the HAR format version; [Write] always writes [Version].
	Version string `json:"version"`
	// Creator names the application that wrote the file.
	Creator Creator `json:"creator"`
	// Browser names the browser that made the requests, when known.
	Browser *Creator `json:"browser,omitempty"`
	// Pages lists the pages the entries belong to, if the tool tracks them.
	Pages []Page `json:"pages,omitempty"`
	// Entries lists the requests, usually in the order they started.
	Entries []Entry `json:"entries"`
	// Comment is free text.
	Comment string `json:"comment,omitempty"`
}

// Creator names a program and its version. HAR uses the same shape for the
// "creator" and "browser" objects.
type Creator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Comment string `json:"comment,omitempty"`
}

// Page is one page load that entries can refer to by ID.
type Page struct {
	StartedDateTime time.Time   `json:"startedDateTime"`
	ID              string      `json:"id"`
	Title           string      `json:"title"`
	PageTimings     PageTimings `json:"pageTimings"`
	Comment         string      `json:"comment,omitempty"`
}

// PageTimings holds a page's load milestones in milliseconds since the
// page started; -1 means not available.
type PageTimings struct {
	OnContentLoad float64 `json:"onContentLoad"`
	OnLoad        float64 `json:"onLoad"`
	Comment       string  `json:"comment,omitempty"`
}

// Entry is one HTTP exchange: a request and its response, or for a
// WebSocket the opening handshake and, in Chrome's convention, the frames
// sent and received on it.
type Entry struct {
	// Pageref is the ID of the page this entry belongs to, if any.
	Pageref string `json:"pageref,omitempty"`
	// StartedDateTime is when the request started.
	StartedDateTime time.Time `json:"startedDateTime"`
	// Time is the total duration of the exchange in milliseconds, the sum
	// of the non-negative Timings except SSL.
	Time     float64  `json:"time"`
	Request  Request  `json:"request"`
	Response Response `json:"response"`
	Cache    Cache    `json:"cache"`
	Timings  Timings  `json:"timings"`
	// ServerIPAddress is the IP address of the server, if known.
	ServerIPAddress string `json:"serverIPAddress,omitempty"`
	// Connection identifies the TCP/IP connection, if known.
	Connection string `json:"connection,omitempty"`
	Comment    string `json:"comment,omitempty"`

	// ResourceType is Chrome's "_resourceType" extension: "document",
	// "script", "xhr", "fetch", "websocket" and so on.
	ResourceType string `json:"_resourceType,omitempty"`
	// WebSocketMessages is Chrome's "_webSocketMessages" extension: the
	// frames of a WebSocket entry in the order they were sent or received.
	WebSocketMessages []WebSocketMessage `json:"_webSocketMessages,omitempty"`
}

// Request is the request half of an [Entry].
type Request struct {
	Method      string       `json:"method"`
	URL         string       `json:"url"`
	HTTPVersion string       `json:"httpVersion"`
	Cookies     []Cookie     `json:"cookies"`
	Headers     []Header     `json:"headers"`
	QueryString []QueryParam `json:"queryString"`
	// PostData is the request body, nil when there is none.
	PostData *PostData `json:"postData,omitempty"`
	// HeadersSize is the size of the request head in bytes, -1 if unknown.
	HeadersSize int64 `json:"headersSize"`
	// BodySize is the size of the request body in bytes, -1 if unknown.
	BodySize int64  `json:"bodySize"`
	Comment  string `json:"comment,omitempty"`
}

// Response is the response half of an [Entry].
type Response struct {
	// Status is the HTTP status code; browsers record 0 when no response
	// arrived (the request failed, was aborted or was still pending).
	Status      int      `json:"status"`
	StatusText  string   `json:"statusText"`
	HTTPVersion string   `json:"httpVersion"`
	Cookies     []Cookie `json:"cookies"`
	Headers     []Header `json:"headers"`
	Content     Content  `json:"content"`
	RedirectURL string   `json:"redirectURL"`
	// HeadersSize is the size of the response head in bytes, -1 if unknown.
	HeadersSize int64 `json:"headersSize"`
	// BodySize is the size of the received body in bytes, -1 if unknown.
	BodySize int64  `json:"bodySize"`
	Comment  string `json:"comment,omitempty"`
	// Error is Chrome's "_error" extension, such as "net::ERR_ABORTED",
	// set when the request failed.
	Error string `json:"_error,omitempty"`
}

// Cookie is a cookie sent with a request or set by a response.
type Cookie struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Path     string `json:"path,omitempty"`
	Domain   string `json:"domain,omitempty"`
	Expires  string `json:"expires,omitempty"`
	HTTPOnly bool   `json:"httpOnly,omitempty"`
	Secure   bool   `json:"secure,omitempty"`
	SameSite string `json:"sameSite,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

// Header is one HTTP header line.
type Header struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	Comment string `json:"comment,omitempty"`
}

// QueryParam is one parameter of a request URL's query string.
type QueryParam struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	Comment string `json:"comment,omitempty"`
}

// PostData is a request body.
type PostData struct {
	MimeType string  `json:"mimeType"`
	Params   []Param `json:"params,omitempty"`
	Text     string  `json:"text"`
	// Encoding is "base64" when Text holds the body base64-encoded, as some
	// tools do for binary bodies; empty when Text is the body itself.
	Encoding string `json:"encoding,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

// Param is one field of a form-encoded or multipart request body.
type Param struct {
	Name        string `json:"name"`
	Value       string `json:"value,omitempty"`
	FileName    string `json:"fileName,omitempty"`
	ContentType string `json:"contentType,omitempty"`
	Comment     string `json:"comment,omitempty"`
}

// Content is a response body.
type Content struct {
	// Size is the length of the decoded body in bytes.
	Size int64 `json:"size"`
	// Compression is the number of bytes saved by compression, if known.
	Compression int64  `json:"compression,omitempty"`
	MimeType    string `json:"mimeType"`
	// Text is the body, or its base64 encoding when Encoding is "base64".
	Text string `json:"text,omitempty"`
	// Encoding is "base64" when Text is base64-encoded, empty otherwise.
	Encoding string `json:"encoding,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

// Cache describes the browser cache state around a request. Browsers
// mostly record it empty.
type Cache struct {
	BeforeRequest *CacheEntry `json:"beforeRequest,omitempty"`
	AfterRequest  *CacheEntry `json:"afterRequest,omitempty"`
	Comment       string      `json:"comment,omitempty"`
}

// CacheEntry is the state of one cache entry.
type CacheEntry struct {
	Expires    string `json:"expires,omitempty"`
	LastAccess string `json:"lastAccess"`
	ETag       string `json:"eTag"`
	HitCount   int    `json:"hitCount"`
	Comment    string `json:"comment,omitempty"`
}

// Timings splits an entry's Time into phases, in milliseconds; -1 means
// the phase does not apply. SSL is part of Connect.
type Timings struct {
	Blocked float64 `json:"blocked"`
	DNS     float64 `json:"dns"`
	Connect float64 `json:"connect"`
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
	SSL     float64 `json:"ssl"`
	Comment string  `json:"comment,omitempty"`
}

// Total returns the sum of the phases that apply (SSL excluded, as it is
// part of Connect) as a duration.
func (t Timings) Total() time.Duration {
	var sum time.Duration
	for _, ms := range []float64{t.Blocked, t.DNS, t.Connect, t.Send, t.Wait, t.Receive} {
		sum += Millis(ms)
	}
	return sum
}

// maxMillis bounds durations converted from HAR milliseconds so sums of a
// few of them cannot overflow a time.Duration.
const maxMillis = float64(1<<56) / float64(time.Millisecond)

// Millis converts a HAR duration in milliseconds to a time.Duration.
// Negative values (HAR's -1, "does not apply") become 0, and very large
// ones are capped at about two years.
func Millis(ms float64) time.Duration {
	if !(ms > 0) {
		return 0
	}
	if ms > maxMillis {
		ms = maxMillis
	}
	return time.Duration(ms * float64(time.Millisecond))
}
