package replay

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/trace"
	"github.com/eio-go/eio/fsm"
)

// MachineStep is one input the machine-level replay fed to the machine.
type MachineStep struct {
	// At is the virtual time of the input, from the session's start.
	At time.Duration
	// Input is what was fed.
	Input fsm.Input
	// Before is the machine's state before the input.
	Before fsm.State
	// Effects are what the machine returned, in order (a copy).
	Effects []fsm.Effect
}

// MachineReport is the outcome of a machine-level replay.
type MachineReport struct {
	Case  string
	Steps []MachineStep
	// Divergence is the first difference between the packets of the
	// machine's Write effects and the recorded client packets; nil when
	// they agree.
	Divergence    *Divergence
	Expected, Got map[string][]codec.Packet
}

// OK reports whether the machine's writes matched the recording.
func (r *MachineReport) OK() bool { return r.Divergence == nil }

// sim is the machine-level replay: the machine, a virtual clock, and a
// runtime that carries effects out at once.
type sim struct {
	c      *Case
	m      *fsm.Machine
	now    time.Time
	start  time.Time
	roles  map[fsm.Role]string // transport name by role
	polled map[string]bool
	poll   bool // a poll is outstanding on polling
	queue  map[string][]item
	timers map[fsm.Timer]timerState
	inputs []fsm.Input // follow-up inputs from effects (Opened, Wrote)
	chk    *checker
	rep    *MachineReport
	done   bool
}

type timerState struct {
	at  time.Time
	gen uint64
}

// RunMachine replays the case through an [fsm.Machine] alone: recorded
// server packets become Received inputs, WebSocket opens become Opened,
// the application's sends and disconnect become Send and Disconnect, and
// timers fire on a virtual clock that follows the recorded times. Writes
// and polling complete at once. Packets recorded on a polling response
// wait for the machine to poll and, after an upgrade, go to the new
// transport, as in [Case.Run].
func (c *Case) RunMachine() *MachineReport {
	s := c.Session
	sm := &sim{c: c, m: fsm.New(), roles: map[fsm.Role]string{}, polled: map[string]bool{},
		queue: map[string][]item{}, timers: map[fsm.Timer]timerState{}}
	sm.rep = &MachineReport{Case: c.Name, Expected: c.expected()}
	sm.chk = newChecker(sm.rep.Expected, sm.m.State, newBell())
	if len(s.Events) > 0 {
		sm.start = s.Events[0].Time
	}
	sm.now = sm.start
	var infos []fsm.TransportInfo
	for _, t := range c.transports() {
		infos = append(infos, fsm.TransportInfo{Name: t, Polled: t == trace.Polling})
		sm.polled[t] = t == trace.Polling
	}
	sm.feed(fsm.Connect{Revision: s.Revision, Transports: infos})
	ending := s.Ending()
	disconnected := false
	frames := map[int]int{}
	for i := range s.Events {
		if sm.done || sm.chk.divergence() != nil {
			break
		}
		e := &s.Events[i]
		sm.advance(e.Time)
		raw := c.rawOf(e, frames)
		switch {
		case raw != nil:
			sm.queue[sm.roles[fsm.Active]] = append(sm.queue[sm.roles[fsm.Active]], item{raw: raw})
			sm.deliver()
		case e.Dir == trace.ClientToServer:
			for _, p := range e.Packets {
				switch {
				case p.Type == codec.Message && !disconnected:
					sm.feed(fsm.Send{Packets: []codec.Packet{p}})
				case p.Type == codec.Close && !disconnected:
					disconnected = true
					sm.feed(fsm.Disconnect{})
				}
			}
		case e.Kind == trace.WSOpen:
			if r, ok := sm.role(trace.WebSocket); ok {
				sm.feed(fsm.Opened{Role: r})
			}
		case e.Kind == trace.HTTPError && e.Transport == trace.WebSocket && e.Status == 0:
			// A WebSocket that never opened: the machine's timer decides.
		case e.Kind == trace.HTTPError:
			if r, ok := sm.role(e.Transport); ok {
				sm.feed(fsm.Failed{Role: r, Err: fmt.Errorf("HTTP %d", e.Status)})
			}
		case e.Dir == trace.ServerToClient && len(e.Packets) > 0:
			sm.serverPackets(e.Transport, e.Packets)
		case e.Kind == trace.WSClose && ending.Event == i && ending.Kind == trace.EndTransportClosed:
			if c.closedBy[e.Entry] == sideServer {
				if r, ok := sm.role(trace.WebSocket); ok {
					sm.feed(fsm.Closed{Role: r})
				}
			} else if !disconnected {
				disconnected = true
				sm.feed(fsm.Disconnect{})
			}
		}
	}
	if sm.chk.divergence() == nil {
		if m := sm.chk.missing(nil); m != nil {
			m.Msg = "the machine never wrote it"
			sm.chk.diverge(m)
		}
	}
	sm.rep.Divergence = sm.chk.divergence()
	sm.rep.Got = sm.chk.snapshot()
	return sm.rep
}

func (sm *sim) role(name string) (fsm.Role, bool) {
	for r, n := range sm.roles {
		if n == name {
			return r, true
		}
	}
	return 0, false
}

// advance fires the timers due up to t, in order, and moves the clock.
func (sm *sim) advance(t time.Time) {
	for !sm.done {
		var next fsm.Timer
		found := false
		for tm, st := range sm.timers {
			if !st.at.After(t) && (!found || st.at.Before(sm.timers[next].at)) {
				next, found = tm, true
			}
		}
		if !found {
			break
		}
		st := sm.timers[next]
		delete(sm.timers, next)
		if st.at.After(sm.now) {
			sm.now = st.at
		}
		sm.feed(fsm.TimerFired{Timer: next, Gen: st.gen})
	}
	if t.After(sm.now) {
		sm.now = t
	}
}

// serverPackets delivers packets the recorded server sent on transport.
func (sm *sim) serverPackets(transport string, pkts []codec.Packet) {
	for _, p := range pkts {
		if p.Type == codec.Noop && transport == trace.Polling && !sm.poll {
			continue // a noop only releases a waiting poll
		}
		target := transport
		if !(p.Type == codec.Pong && p.IsProbe()) && p.Type != codec.Open {
			target = sm.roles[fsm.Active] // session packets go where the session is
		}
		sm.queue[target] = append(sm.queue[target], item{p: p})
	}
	sm.deliver()
}

// deliver hands queued packets to transports that can take them: a
// WebSocket at once, polling when a poll is outstanding.
func (sm *sim) deliver() {
	for _, name := range []string{trace.Polling, trace.WebSocket} {
		q := sm.queue[name]
		if len(q) == 0 || sm.done {
			continue
		}
		r, ok := sm.role(name)
		if !ok || (sm.polled[name] && !sm.poll) {
			continue
		}
		if sm.polled[name] {
			pkts, raw, rest := takePoll(q)
			sm.queue[name] = rest
			sm.poll = false
			if raw != nil {
				sm.feed(fsm.Malformed{Role: r, Err: malformedErr(sm.c.Session.Revision, raw, true)})
			} else {
				sm.feed(fsm.Received{Role: r, Packets: pkts})
			}
			continue
		}
		sm.queue[name] = nil
		for _, it := range q {
			if it.raw != nil {
				sm.feed(fsm.Malformed{Role: r, Err: malformedErr(sm.c.Session.Revision, it.raw, false)})
				continue
			}
			sm.feed(fsm.Received{Role: r, Packets: []codec.Packet{it.p}})
		}
	}
}

// feed steps the machine with in and carries out the effects, feeding
// the inputs they cause at once.
func (sm *sim) feed(in fsm.Input) {
	sm.inputs = append(sm.inputs, in)
	for len(sm.inputs) > 0 && !sm.done {
		in := sm.inputs[0]
		sm.inputs = sm.inputs[1:]
		before := sm.m.State()
		effs := append([]fsm.Effect(nil), sm.m.Step(in)...)
		sm.rep.Steps = append(sm.rep.Steps, MachineStep{At: sm.now.Sub(sm.start), Input: in, Before: before, Effects: effs})
		for _, e := range effs {
			sm.apply(e)
		}
	}
	sm.deliver()
}

func (sm *sim) apply(e fsm.Effect) {
	switch e := e.(type) {
	case fsm.OpenTransport:
		sm.roles[e.Role] = e.Name
		if sm.polled[e.Name] {
			sm.inputs = append(sm.inputs, fsm.Opened{Role: e.Role})
		}
	case fsm.CloseTransport:
		if sm.polled[sm.roles[e.Role]] {
			sm.poll = false
		}
		delete(sm.roles, e.Role)
	case fsm.Promote:
		old := sm.roles[fsm.Active]
		sm.roles[fsm.Active] = sm.roles[fsm.Probe]
		delete(sm.roles, fsm.Probe)
		if sm.polled[old] {
			sm.poll = false
		}
		// What waited for a poll goes out on the new transport.
		sm.queue[sm.roles[fsm.Active]] = append(sm.queue[sm.roles[fsm.Active]], dropNoops(sm.queue[old])...)
		sm.queue[old] = nil
	case fsm.Write:
		name := sm.roles[e.Role]
		for _, p := range e.Packets {
			sm.chk.packet(name, p)
		}
		sm.inputs = append(sm.inputs, fsm.Wrote{Role: e.Role})
	case fsm.Poll:
		sm.poll = true
	case fsm.SetTimer:
		sm.timers[e.Timer] = timerState{at: sm.now.Add(e.After), gen: e.Gen}
	case fsm.StopTimer:
		delete(sm.timers, e.Timer)
	case fsm.Finished:
		sm.done = true
	}
}

func dropNoops(q []item) []item {
	var out []item
	for _, it := range q {
		if it.raw != nil || it.p.Type != codec.Noop {
			out = append(out, it)
		}
	}
	return out
}

// malformedErr is the codec's verdict on raw bytes.
func malformedErr(rev codec.Revision, r *rawData, polling bool) error {
	var err error
	if polling {
		_, err = codec.DecodePayload(nil, rev, r.data, r.binary)
	} else {
		_, err = codec.DecodeFrame(rev, r.data, r.binary)
	}
	if err == nil {
		err = fmt.Errorf("undecodable data %q", r.data)
	}
	return err
}

// WriteText writes one line per input — virtual time, state before,
// input — and the effects indented below it, then the verdict.
func (r *MachineReport) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "machine replay of %s\n", r.Case)
	for _, st := range r.Steps {
		fmt.Fprintf(bw, "%+9.3fs  [%s] %s\n", st.At.Seconds(), st.Before, InputString(st.Input))
		for _, e := range st.Effects {
			fmt.Fprintf(bw, "             %s\n", EffectString(e))
		}
	}
	if r.OK() {
		fmt.Fprintf(bw, "PASS machine %s: every Write matches the recorded client packets\n", r.Case)
	} else {
		fmt.Fprintf(bw, "FAIL machine %s: %s\n", r.Case, r.Divergence)
	}
	return bw.Flush()
}

// InputString renders a machine input on one line.
func InputString(in fsm.Input) string {
	switch in := in.(type) {
	case fsm.Connect:
		names := make([]string, len(in.Transports))
		for i, t := range in.Transports {
			names[i] = t.Name
		}
		return fmt.Sprintf("Connect EIO=%d transports=%s", in.Revision, strings.Join(names, ","))
	case fsm.Opened:
		return "Opened " + in.Role.String()
	case fsm.Received:
		return "Received " + in.Role.String() + " " + packetList(in.Packets)
	case fsm.Wrote:
		return "Wrote " + in.Role.String()
	case fsm.Failed:
		return fmt.Sprintf("Failed %s: %v", in.Role, in.Err)
	case fsm.Malformed:
		return fmt.Sprintf("Malformed %s: %v", in.Role, in.Err)
	case fsm.Closed:
		return "Closed " + in.Role.String()
	case fsm.TimerFired:
		return fmt.Sprintf("TimerFired %s gen=%d", in.Timer, in.Gen)
	case fsm.Send:
		return "Send " + packetList(in.Packets)
	case fsm.Disconnect:
		if in.Abort {
			return "Disconnect abort"
		}
		return "Disconnect"
	}
	return fmt.Sprintf("%T", in)
}

// EffectString renders a machine effect on one line.
func EffectString(e fsm.Effect) string {
	switch e := e.(type) {
	case fsm.Transitioned:
		return fmt.Sprintf("→ %s -%s-> %s", e.From, e.Event, e.To)
	case fsm.OpenTransport:
		return fmt.Sprintf("OpenTransport %s %s sid=%q", e.Role, e.Name, e.SID)
	case fsm.CloseTransport:
		return "CloseTransport " + e.Role.String()
	case fsm.Write:
		return "Write " + e.Role.String() + " " + packetList(e.Packets)
	case fsm.Poll:
		return "Poll " + e.Role.String()
	case fsm.Promote:
		return "Promote"
	case fsm.SetTimer:
		return fmt.Sprintf("SetTimer %s %v gen=%d", e.Timer, e.After, e.Gen)
	case fsm.StopTimer:
		return "StopTimer " + e.Timer.String()
	case fsm.Connected:
		return fmt.Sprintf("Connected sid=%q transport=%s", e.Handshake.SID, e.Transport)
	case fsm.Deliver:
		return "Deliver " + e.Packet.String()
	case fsm.Pinged:
		return "Pinged"
	case fsm.Upgraded:
		return "Upgraded " + e.Transport
	case fsm.UpgradeFailed:
		return fmt.Sprintf("UpgradeFailed %s: %v", e.Transport, e.Err)
	case fsm.SendFailed:
		return fmt.Sprintf("SendFailed %s: %v", packetList(e.Packets), e.Err)
	case fsm.Finished:
		s := fmt.Sprintf("Finished reason=%q connected=%v", e.Reason, e.Connected)
		if e.Err != nil {
			s += ": " + e.Err.Error()
		}
		return s
	}
	return fmt.Sprintf("%T", e)
}
