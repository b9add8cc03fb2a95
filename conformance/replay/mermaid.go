package replay

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/trace"
)

// Mermaid writes the session as a Mermaid sequence diagram: the client and
// the server as participants, one arrow per request, response, frame or
// error, labelled with its transport and packets, and notes for the
// handshake and the ending. Solid arrows go from the client, dashed ones
// from the server; a long-poll request is an open arrow.
func Mermaid(w io.Writer, s *trace.Session) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("sequenceDiagram\n")
	bw.WriteString("    participant C as client\n")
	bw.WriteString("    participant S as server\n")
	fmt.Fprintf(bw, "    Note over C,S: %s\n", mermaidText(fmt.Sprintf("session %s, EIO=%d, handshake on %s",
		s.SID, s.Revision, orNone(s.HandshakeTransport))))
	for i := range s.Events {
		e := &s.Events[i]
		t := fmt.Sprintf("%+.3fs %s", e.Time.Sub(s.Start).Seconds(), e.Transport)
		switch e.Kind {
		case trace.PollRequest:
			fmt.Fprintf(bw, "    C-)S: %s\n", mermaidText(t+" GET"))
		case trace.PostRequest:
			fmt.Fprintf(bw, "    C->>S: %s\n", mermaidText(t+" POST "+packetLabel(e.Packets)))
		case trace.PollResponse:
			fmt.Fprintf(bw, "    S-->>C: %s\n", mermaidText(t+" "+packetLabel(e.Packets)))
		case trace.PostResponse:
			// "ok": nothing to show.
		case trace.WSOpen:
			fmt.Fprintf(bw, "    S-->>C: %s\n", mermaidText(t+" open (101)"))
		case trace.WSFrame:
			arrow := "C->>S"
			if e.Dir == trace.ServerToClient {
				arrow = "S-->>C"
			}
			fmt.Fprintf(bw, "    %s: %s\n", arrow, mermaidText(t+" "+packetLabel(e.Packets)))
		case trace.WSClose:
			fmt.Fprintf(bw, "    Note over C,S: %s\n", mermaidText(t+" closed"))
		case trace.HTTPError:
			fmt.Fprintf(bw, "    S--xC: %s\n", mermaidText(fmt.Sprintf("%s HTTP %d %s", t, e.Status, e.Body)))
		}
	}
	fmt.Fprintf(bw, "    Note over C,S: %s\n", mermaidText("end: "+s.Ending().Kind.String()))
	return bw.Flush()
}

func orNone(s string) string {
	if s == "" {
		return "(not recorded)"
	}
	return s
}

// packetLabel lists packets briefly: long data is cut.
func packetLabel(pkts []codec.Packet) string {
	parts := make([]string, 0, len(pkts))
	for i, p := range pkts {
		if i == 6 && len(pkts) > 8 {
			parts = append(parts, fmt.Sprintf("… %d more", len(pkts)-i))
			break
		}
		parts = append(parts, clip(p.String(), 48))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// mermaidText escapes what Mermaid would read as syntax in a message.
func mermaidText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case ';':
			b.WriteString("#59;")
		case '#':
			b.WriteString("#35;")
		case '\n', '\r':
			b.WriteByte(' ')
		case '<':
			b.WriteString("#lt;")
		case '>':
			b.WriteString("#gt;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
