package webhook

import (
	"fmt"
	"time"

	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrstore"
	"github.com/callctl/callctl/store"
)

// render reads a delivery, its client and what it is about, and renders
// the request of this attempt at now.
func (o *Outbox) render(it *item, now time.Time) (*Client, *Request, error) {
	var d Delivery
	var c Client
	var rec cdr.Record
	err := o.db.View(func(tx *store.Tx) error {
		ok, err := tx.GetJSON(store.BucketOutbox, store.IDKey(it.id), &d)
		if err != nil {
			return err
		}
		if !ok {
			return &SendError{Reason: ReasonGone, Err: fmt.Errorf("delivery %d is no longer in the outbox", it.id)}
		}
		if d.Kind == kindEvent {
			c = d.Target.client(o.cfg.Concurrency)
		} else if ok, err = tx.GetJSON(store.BucketWebhookClients, []byte(d.Client), &c); err != nil {
			return err
		} else if !ok {
			return &SendError{Reason: ReasonGone, Err: fmt.Errorf("client %s was deleted", d.Client)}
		}
		if d.Kind == KindCallEnd {
			if rec, ok, err = cdrstore.Get(tx, d.CallID); err != nil {
				return err
			} else if !ok {
				return &SendError{Reason: ReasonRender, Err: fmt.Errorf("record %d not found", d.CallID)}
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	o.sched.setLimit(it.lane, c.Concurrency)
	var fs Fields
	switch d.Kind {
	case KindCallEnd:
		if fs, err = o.callEndFields(&c, &rec, now); err != nil {
			return &c, nil, &SendError{Reason: ReasonRender, Err: err}
		}
	case KindCallNotify, KindDataQuery:
		if d.Params != nil {
			fs = d.Params.fields(o.opts.Location)
		}
	case kindEvent:
		fs = d.Fields
	}
	return &c, c.request(fs, o.opts.NodeID, d.WebhookID, now), nil
}

// callEndFields renders a finished call as the seed's end-of-call body:
// signed references to its recordings, and with include_recording the
// recordings themselves, read from disk now (a backlog does not copy audio
// into the database). A recording that cannot be read is left out and
// logged.
func (o *Outbox) callEndFields(c *Client, r *cdr.Record, now time.Time) (Fields, error) {
	s := r.Seed(o.opts.Location)
	expires := now.Add(o.cfg.ReferenceTTL)
	read := map[string]*string{}
	file := func(path string) *string {
		if !c.IncludeRecording || o.opts.Recordings == nil {
			return nil
		}
		if b, ok := read[path]; ok {
			return b
		}
		b64, err := o.opts.Recordings.ReadBase64(path, o.cfg.MaxRecordingBytes)
		if err != nil {
			o.log.Warn().Err(err).Uint64("record", r.ID).Str("client", c.Name).Msg("recording not sent")
			read[path] = nil
			return nil
		}
		read[path] = &b64
		return &b64
	}
	if r.RecordingPath != "" {
		ref := o.refs.Sign(r.ID, 0, expires)
		s.MainReferenceID = &ref
		s.MonitorFile = file(r.RecordingPath)
	}
	for i, l := range r.Legs {
		if l.RecordingPath != "" && i < len(s.SubCDRs) {
			ref := o.refs.Sign(r.ID, l.ID, expires)
			s.SubCDRs[i].ReferenceID = &ref
			s.SubCDRs[i].MonitorFile = file(l.RecordingPath)
		}
	}
	return objectFields(s)
}
