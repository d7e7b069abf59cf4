package callflow

import (
	"context"

	"github.com/callctl/callctl/ami"
)

// Queue is a queue's state as app_queue reports it (QueueStatus), with
// Asterisk's own values.
type Queue struct {
	Params  ami.Message   // QueueParams: Max, Strategy, Calls, Holdtime, TalkTime, Completed, Abandoned, ServiceLevel, ServicelevelPerf, Weight
	Members []ami.Message // QueueMember: Name, Location, StateInterface, Membership, Penalty, CallsTaken, LastCall, InCall, Status, Paused …
	Entries []ami.Message // QueueEntry (callers waiting): Position, Channel, Uniqueid, CallerIDNum, CallerIDName, ConnectedLineNum, ConnectedLineName, Wait
}

// QueueStatus returns a queue's state.
func (s *Service) QueueStatus(ctx context.Context, name string) (Queue, error) {
	if name == "" {
		return Queue{}, missing("queueName")
	}
	if !nameRE.MatchString(name) {
		return Queue{}, &Error{Kind: KindQueueNotFound, Param: "queueName", Requested: name, Detail: "queue not found"}
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, items, err := s.ami.List(ctx, ami.Action{Name: "QueueStatus", Headers: map[string]string{"Queue": name}})
	if err != nil {
		return Queue{}, asteriskError("queue status", err)
	}
	var q Queue
	for _, it := range items {
		if it["Queue"] != name {
			continue
		}
		switch it.Event() {
		case "QueueParams":
			q.Params = it
		case "QueueMember":
			q.Members = append(q.Members, it)
		case "QueueEntry":
			q.Entries = append(q.Entries, it)
		}
	}
	if q.Params == nil {
		return Queue{}, &Error{Kind: KindQueueNotFound, Param: "queueName", Requested: name, Detail: "queue " + name + " not found"}
	}
	return q, nil
}

// queueExists asks Asterisk whether a queue exists.
func (s *Service) queueExists(ctx context.Context, name string) error {
	_, err := s.QueueStatus(ctx, name)
	return err
}
