package replay

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/trace"
)

// WriteText writes the report as readable lines: the verdict, the
// divergence, the client's state changes and the packet streams.
func (r *Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	if r.OK() {
		fmt.Fprintf(bw, "PASS %s (%v)\n", r.Case, r.Duration.Round(time.Millisecond))
	} else {
		fmt.Fprintf(bw, "FAIL %s (%v)\n", r.Case, r.Duration.Round(time.Millisecond))
		fmt.Fprintf(bw, "  divergence: %s\n", r.Divergence)
	}
	reason := string(r.Reason)
	if reason == "" {
		reason = "still live when the replay stopped"
	}
	fmt.Fprintf(bw, "  client ended: %s", reason)
	if r.Err != nil {
		fmt.Fprintf(bw, " (%v)", r.Err)
	}
	fmt.Fprintf(bw, "; %d messages delivered", r.Messages)
	for _, u := range r.Upgrades {
		fmt.Fprintf(bw, "; upgraded to %s", u)
	}
	for _, e := range r.UpgradeErrors {
		fmt.Fprintf(bw, "; upgrade abandoned: %s", e)
	}
	bw.WriteByte('\n')
	fmt.Fprintf(bw, "  states:")
	for i, t := range r.Transitions {
		if i == 0 {
			fmt.Fprintf(bw, " %s", t.From)
		}
		fmt.Fprintf(bw, " -%s-> %s", t.Event, t.To)
	}
	bw.WriteByte('\n')
	for _, t := range []string{trace.Polling, trace.WebSocket} {
		exp, got := r.Expected[t], r.Got[t]
		if len(exp) == 0 && len(got) == 0 {
			continue
		}
		fmt.Fprintf(bw, "  %s c->s: %d recorded, %d sent\n", t, len(exp), len(got))
		if r.OK() {
			continue
		}
		n := max(len(exp), len(got))
		for i := 0; i < n; i++ {
			var e, g *codec.Packet
			if i < len(exp) {
				e = &exp[i]
			}
			if i < len(got) {
				g = &got[i]
			}
			mark := " "
			if e == nil || g == nil || !samePacket(*e, *g) {
				mark = "!"
			}
			fmt.Fprintf(bw, "   %s #%-3d %-28s %s\n", mark, i, clip(describe(e), 28), clip(describe(g), 40))
		}
	}
	return bw.Flush()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// jsonPacket is a packet in the JSON report.
type jsonPacket struct {
	Type   string `json:"type"`
	Data   string `json:"data,omitempty"`
	Binary bool   `json:"binary,omitempty"`
}

func toJSONPacket(p *codec.Packet) *jsonPacket {
	if p == nil {
		return nil
	}
	j := &jsonPacket{Type: p.Type.String(), Data: string(p.Data), Binary: p.Binary}
	if p.Binary {
		j.Data = base64.StdEncoding.EncodeToString(p.Data)
	}
	return j
}

// MarshalJSON renders the report for the CLI's -json output.
func (r *Report) MarshalJSON() ([]byte, error) {
	type div struct {
		Transport string      `json:"transport,omitempty"`
		Direction string      `json:"direction,omitempty"`
		Index     int         `json:"index"`
		Expected  *jsonPacket `json:"expected"`
		Got       *jsonPacket `json:"got"`
		State     string      `json:"state"`
		Message   string      `json:"message,omitempty"`
	}
	type trans struct {
		At    float64 `json:"at"`
		From  string  `json:"from"`
		To    string  `json:"to"`
		Event string  `json:"event"`
	}
	out := struct {
		Case          string                  `json:"case"`
		OK            bool                    `json:"ok"`
		Divergence    *div                    `json:"divergence,omitempty"`
		Reason        string                  `json:"reason"`
		Error         string                  `json:"error,omitempty"`
		Messages      int                     `json:"messages"`
		Upgrades      []string                `json:"upgrades,omitempty"`
		UpgradeErrors []string                `json:"upgradeErrors,omitempty"`
		Transitions   []trans                 `json:"transitions"`
		Expected      map[string][]jsonPacket `json:"expected"`
		Got           map[string][]jsonPacket `json:"got"`
		Seconds       float64                 `json:"seconds"`
	}{Case: r.Case, OK: r.OK(), Reason: string(r.Reason), Messages: r.Messages,
		Upgrades: r.Upgrades, UpgradeErrors: r.UpgradeErrors, Seconds: r.Duration.Seconds(),
		Transitions: []trans{}, Expected: streamsJSON(r.Expected), Got: streamsJSON(r.Got)}
	if r.Err != nil {
		out.Error = r.Err.Error()
	}
	if d := r.Divergence; d != nil {
		out.Divergence = &div{Transport: d.Transport, Index: d.Index, Expected: toJSONPacket(d.Expected),
			Got: toJSONPacket(d.Got), State: string(d.State), Message: d.Msg}
		if d.Dir != 0 {
			out.Divergence.Direction = d.Dir.String()
		}
	}
	for _, t := range r.Transitions {
		out.Transitions = append(out.Transitions, trans{At: t.At.Seconds(), From: string(t.From), To: string(t.To), Event: string(t.Event)})
	}
	return json.Marshal(out)
}

func streamsJSON(m map[string][]codec.Packet) map[string][]jsonPacket {
	out := map[string][]jsonPacket{}
	for t, pkts := range m {
		if len(pkts) == 0 {
			continue
		}
		list := make([]jsonPacket, len(pkts))
		for i := range pkts {
			list[i] = *toJSONPacket(&pkts[i])
		}
		out[t] = list
	}
	return out
}
