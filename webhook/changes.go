package webhook

import (
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/store"
)

// The CDR engine's changes (cdr.Change) reach the outbox through Wants and
// Enqueue (cdrfeed.Outbox): a finished call's end-of-call data, and the
// incoming-call notifications of inbound calls (arrival, an extension
// ringing, an extension answering).

// triggerSet is which call_notify triggers some client has, kept in memory
// so that Wants costs no I/O; refreshed after every change of clients.
type triggerSet map[string]bool

// Wants reports, without I/O, whether c may lead to a delivery: every
// finished call (its commit writes the end-of-call data), and an inbound
// call's changes some call_notify client's triggers name.
func (o *Outbox) Wants(c *cdr.Change) bool {
	if c.Kind == cdr.CallFinished {
		return true
	}
	trigger := notifyTrigger(c)
	return trigger != "" && (*o.triggers.Load())[trigger]
}

// Enqueue writes the deliveries a change causes, inside tx: the CDR
// engine's commit transaction (with the record, for a finished call).
func (o *Outbox) Enqueue(tx *store.Tx, c *cdr.Change) error {
	if c.Kind == cdr.CallFinished {
		return o.OnFinished(tx, c.Record)
	}
	trigger := notifyTrigger(c)
	if trigger == "" {
		return nil
	}
	return o.Notify(tx, CallEvent{CallID: c.Call.ID, SubCallID: c.Leg.ID, Seq: uint64(c.Seq), Trigger: trigger,
		Params: Params{ID: c.Call.ID, StartTime: c.Call.Start, Src: c.Call.Caller, Dst: c.Call.Dialled, Exten: c.Leg.Exten,
			IVRDigits: c.Call.IVRDigits, CCCall: c.Call.CCCall, CustomField: c.Call.Tags}})
}

// notifyTrigger is the call_notify trigger of a change, "" for none: only
// inbound calls are notified, and only lines ringing or answering (not a
// call flow's leg, not a number dialled out).
func notifyTrigger(c *cdr.Change) string {
	if !c.Call.Inbound {
		return ""
	}
	line := c.Leg.Kind != cdr.KindFlow && c.Leg.Kind != cdr.KindExternal
	switch {
	case c.Kind == cdr.CallArrived:
		return TriggerArrival
	case c.Kind == cdr.LegRinging && line:
		return TriggerRing
	case c.Kind == cdr.LegAnswered && line:
		return TriggerAnswer
	}
	return ""
}

// loadTriggers refreshes the in-memory trigger set from the stored clients.
func (o *Outbox) loadTriggers(tx *store.Tx) error {
	clients, err := listClients(tx, KindCallNotify)
	if err != nil {
		return err
	}
	set := triggerSet{}
	for _, c := range clients {
		for _, t := range c.Triggers {
			set[t] = true
		}
	}
	tx.OnCommit(func() { o.triggers.Store(&set) })
	return nil
}
