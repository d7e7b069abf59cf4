package voipsun

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/callctl/callctl/callflow"
)

type queueStatusResult struct {
	Success string      `json:"success"`
	Results []queueItem `json:"results"`
}

type queueItem struct {
	QueueName        string       `json:"queueName"`
	Max              string       `json:"max"`
	Strategy         string       `json:"strategy"`
	Calls            string       `json:"calls"`
	HoldTime         string       `json:"holdTime"`
	TalkTime         string       `json:"talkTime"`
	Completed        string       `json:"completed"`
	Abandoned        string       `json:"abandoned"`
	ServiceLevel     string       `json:"serviceLevel"`
	ServiceLevelPerf string       `json:"serviceLevelPerf"`
	Weight           string       `json:"weight"`
	Members          orderedItems `json:"members"`
	Waiters          orderedItems `json:"waiters"`
}

type memberItem struct {
	AgentName     string `json:"agentName"`
	ChannelStatus string `json:"channelStatus"`
	Location      string `json:"location"`
	LoggedFrom    string `json:"loggedFrom"`
	Membership    string `json:"membership"`
	Penalty       string `json:"penalty"`
	CallsTaken    string `json:"callsTaken"`
	LastCall      string `json:"lastCall"`
	IsInCall      string `json:"isInCall"`
	Status        string `json:"status"`
	Paused        string `json:"paused"`
}

type waiterItem struct {
	Position          string  `json:"position"`
	Channel           string  `json:"channel"`
	Uniqueid          string  `json:"uniqueid"`
	CallerIDNum       string  `json:"callerIdNum"`
	CallerIDName      string  `json:"callerIdName"`
	ConnectedLineNum  *string `json:"connectedLineNum"`
	ConnectedLineName *string `json:"connectedLineName"`
	Wait              string  `json:"wait"`
}

// orderedItems is a JSON object whose keys keep their order; with no item
// it is [], as the PHP original's json_encode gives for an empty array.
type orderedItems []struct {
	key   string
	value any
}

func (o orderedItems) MarshalJSON() ([]byte, error) {
	if len(o) == 0 {
		return []byte("[]"), nil
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, it := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(it.key)
		v, err := json.Marshal(it.value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// memberStates are channelStatus texts by app_queue's member Status
// (Asterisk's device states).
var memberStates = map[int]string{
	1: "Line is free", 2: "Line is In use", 3: "Line is busy", 4: "Line is unavailable",
	5: "Line is unavailable", 6: "Line is ringing", 7: "Line is not free", 8: "Line is On hold",
}

func (h *Handler) queuestatus(ctx context.Context, p params) (any, error) {
	q, err := h.svc.Agents.QueueStatus(ctx, p.get("queueName"))
	if err != nil {
		return nil, err
	}
	itoa, secs := strconv.Itoa, func(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }
	it := queueItem{QueueName: q.Name, Max: itoa(q.Max), Strategy: q.Strategy, Calls: itoa(q.Calls),
		HoldTime: secs(q.Holdtime), TalkTime: secs(q.TalkTime), Completed: itoa(q.Completed), Abandoned: itoa(q.Abandoned),
		ServiceLevel: secs(q.ServiceLevel), ServiceLevelPerf: strconv.FormatFloat(q.ServiceLevelPerf, 'f', 1, 64), Weight: itoa(q.Weight)}
	for _, m := range q.Members {
		status := memberStates[m.Status]
		if status == "" {
			status = "Line is unavailable"
		}
		if m.InCall {
			status = "Line is busy"
		}
		lastCall := "0"
		if !m.LastCall.IsZero() {
			lastCall = strconv.FormatInt(m.LastCall.Unix(), 10)
		}
		it.Members = append(it.Members, struct {
			key   string
			value any
		}{m.Name, memberItem{
			AgentName: m.Name, ChannelStatus: status, Location: m.Location, LoggedFrom: m.StateInterface,
			Membership: m.Membership, Penalty: itoa(m.Penalty), CallsTaken: itoa(m.CallsTaken), LastCall: lastCall,
			IsInCall: flag(m.InCall), Status: itoa(m.Status), Paused: flag(m.Paused),
		}})
	}
	for _, e := range q.Waiting {
		it.Waiters = append(it.Waiters, struct {
			key   string
			value any
		}{itoa(e.Position), waiterItem{
			Position: itoa(e.Position), Channel: e.Channel, Uniqueid: e.Uniqueid,
			CallerIDNum: e.Caller.Number, CallerIDName: e.Caller.Name,
			ConnectedLineNum: orNull(e.Connected.Number), ConnectedLineName: orNull(e.Connected.Name),
			Wait: secs(e.Wait),
		}})
	}
	return queueStatusResult{Success: "true", Results: []queueItem{it}}, nil
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// orNull is null for a value Asterisk does not know.
func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (h *Handler) moverecord(ctx context.Context, p params) (any, error) {
	err := h.svc.Recordings.Move(ctx, callflow.MoveRecordingRequest{Record: int64(id(p.get("cdrId"))), File: p.get("filename"), Dir: p.get("path")})
	if err != nil {
		return nil, err
	}
	return ok, nil
}
