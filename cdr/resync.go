package cdr

import "time"

// Resync reconciles the tracker with the channels Asterisk has now
// (CoreShowChannels), after the AMI session was re-established, events were
// lost, or the daemon restarted. Channels the tracker knows that are gone
// ended while nobody was looking: they are closed at the time of detection,
// and their calls are flagged Resynced. Live channels the tracker does not
// know are adopted, and their calls flagged Adopted. Like Apply, it returns
// the changes it made.
func (t *Tracker) Resync(at time.Time, live []ChannelSnapshot) []Change {
	clear(t.changes)
	t.changes = t.changes[:0]
	up := make(map[string]ChannelSnapshot, len(live))
	for _, s := range live {
		up[s.Uniqueid] = s
	}
	var gone []*channel
	for id, ch := range t.chans {
		if _, ok := up[id]; !ok && ch.live() {
			gone = append(gone, ch)
		}
	}
	for _, ch := range gone {
		ch.call.Resynced = true
		t.hangup(ch, at, 0)
	}
	for _, s := range live {
		ch := t.chans[s.Uniqueid]
		if ch == nil {
			e := Event{Name: "Newchannel", Time: at.Add(-s.Age), Channel: s.Channel, Uniqueid: s.Uniqueid,
				Linkedid: s.Linkedid, State: s.State, CallerNum: s.CallerNum, CallerName: s.CallerName, Context: s.Context, Exten: s.Exten}
			ch = t.newChannel(&e)
			ch.call.Adopted = true
			if s.State == "Up" {
				ch.Answered = at // when it was answered is unknown: from now on
			}
			continue
		}
		if s.Linkedid != "" && s.Linkedid != ch.Linkedid {
			t.move(ch, s.Linkedid, at, KindTransfer)
		}
		if s.State != "" {
			ch.State = s.State
			if s.State == "Up" {
				t.answered(ch, at)
			}
		}
	}
	return t.changes
}
