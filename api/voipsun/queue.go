package voipsun

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/callctl/callctl/ami"
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
var memberStates = map[string]string{
	"1": "Line is free", "2": "Line is In use", "3": "Line is busy", "4": "Line is unavailable",
	"5": "Line is unavailable", "6": "Line is ringing", "7": "Line is not free", "8": "Line is On hold",
}

func (h *Handler) queuestatus(ctx context.Context, p params) (any, *apiError) {
	q, err := h.core.QueueStatus(ctx, p.get("queueName"))
	if err != nil {
		return nil, translate(err, codes{queue: "640"})
	}
	qp := q.Params
	it := queueItem{QueueName: qp["Queue"], Max: qp["Max"], Strategy: qp["Strategy"], Calls: qp["Calls"],
		HoldTime: qp["Holdtime"], TalkTime: qp["TalkTime"], Completed: qp["Completed"], Abandoned: qp["Abandoned"],
		ServiceLevel: qp["ServiceLevel"], ServiceLevelPerf: qp["ServicelevelPerf"], Weight: qp["Weight"]}
	for _, m := range q.Members {
		status := memberStates[m["Status"]]
		if status == "" {
			status = "Line is unavailable"
		}
		if m["InCall"] == "1" {
			status = "Line is busy"
		}
		it.Members = append(it.Members, struct {
			key   string
			value any
		}{m["Name"], memberItem{
			AgentName: m["Name"], ChannelStatus: status, Location: m["Location"], LoggedFrom: m["StateInterface"],
			Membership: m["Membership"], Penalty: m["Penalty"], CallsTaken: m["CallsTaken"], LastCall: m["LastCall"],
			IsInCall: m["InCall"], Status: m["Status"], Paused: m["Paused"],
		}})
	}
	for _, e := range q.Entries {
		it.Waiters = append(it.Waiters, struct {
			key   string
			value any
		}{e["Position"], waiterItem{
			Position: e["Position"], Channel: e["Channel"], Uniqueid: e["Uniqueid"],
			CallerIDNum: e["CallerIDNum"], CallerIDName: ami.Unescape(e["CallerIDName"]),
			ConnectedLineNum: known(e["ConnectedLineNum"]), ConnectedLineName: known(ami.Unescape(e["ConnectedLineName"])),
			Wait: e["Wait"],
		}})
	}
	return queueStatusResult{Success: "true", Results: []queueItem{it}}, nil
}

// known is nil for Asterisk's placeholders of an unknown value.
func known(s string) *string {
	if s == "" || s == "unknown" || s == "<unknown>" {
		return nil
	}
	return &s
}

func (h *Handler) moverecord(ctx context.Context, p params) (any, *apiError) {
	err := h.core.MoveRecord(ctx, callflow.MoveRecordRequest{CDRID: p.get("cdrId"), Filename: p.get("filename"), Path: p.get("path")})
	if err != nil {
		return nil, translate(err, codes{})
	}
	return ok, nil
}
