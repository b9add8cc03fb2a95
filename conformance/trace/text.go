package trace

import (
	"bufio"
	"fmt"
	"io"
	"time"
)

// WriteText writes t as stable, line-oriented text: a header line per
// session, then one line per event with its time relative to the
// session's start and its HAR entry. Binary data is shown by length only.
func (t *Trace) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for i, s := range t.Sessions {
		if i > 0 {
			bw.WriteByte('\n')
		}
		fmt.Fprintf(bw, "session sid=%q eio=%d path=%q", s.SID, s.Revision, s.Path)
		if q := s.Query.Encode(); q != "" {
			fmt.Fprintf(bw, " query=%q", q)
		}
		fmt.Fprintf(bw, " handshake=%q start=%s\n", s.HandshakeTransport, s.Start.UTC().Format(time.RFC3339Nano))
		if s.HandshakeTransport != "" {
			h := s.Handshake
			fmt.Fprintf(bw, "  handshake upgrades=%q pingInterval=%s pingTimeout=%s maxPayload=%d\n",
				h.Upgrades, h.PingInterval, h.PingTimeout, h.MaxPayload)
		}
		for j := range s.Events {
			e := &s.Events[j]
			fmt.Fprintf(bw, "  %+9.3fs #%d %s\n", e.Time.Sub(s.Start).Seconds(), e.Entry, e.String())
		}
		end := s.Ending()
		fmt.Fprintf(bw, "  end %s\n", end.Kind)
	}
	return bw.Flush()
}
