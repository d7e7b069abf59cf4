package callflow

import (
	"context"
	"strconv"
	"time"

	"github.com/callctl/callctl/ami"
)

// Queue is a queue's state as app_queue reports it (AMI QueueStatus).
type Queue struct {
	Name             string
	Strategy         string        // ringall, linear, rrordered …
	Max              int           // callers it takes at most; 0: no limit
	Calls            int           // callers waiting now
	Holdtime         time.Duration // average wait
	TalkTime         time.Duration // average talk time
	Completed        int           // calls answered
	Abandoned        int           // callers who hung up waiting
	ServiceLevel     time.Duration // the service level's threshold
	ServiceLevelPerf float64       // per cent of the calls answered within it
	Weight           int
	Members          []QueueMember
	Waiting          []QueueCaller // in queue order
}

// QueueMember is a member of a queue.
type QueueMember struct {
	Name           string // the member's name (an agent's name)
	Location       string // the interface called, PJSIP/1000
	StateInterface string // the device whose state is the member's
	Membership     string // dynamic, static or realtime
	Penalty        int
	CallsTaken     int
	LastCall       time.Time // zero: none yet
	InCall         bool
	// Status is Asterisk's device state of the member: 0 unknown, 1 not
	// in use, 2 in use, 3 busy, 4 invalid, 5 unavailable, 6 ringing, 7
	// ringing while in use, 8 on hold.
	Status int
	Paused bool
}

// QueueCaller is a caller waiting in a queue.
type QueueCaller struct {
	Position  int
	Channel   string
	Uniqueid  string
	Caller    CallerID // as Asterisk shows it
	Connected CallerID // empty where Asterisk does not know it
	Wait      time.Duration
}

// QueueStatus returns a queue's state.
func (s *Agents) QueueStatus(ctx context.Context, name string) (Queue, error) {
	if name == "" {
		return Queue{}, Missing(FieldQueue)
	}
	if !nameRE.MatchString(name) {
		return Queue{}, NotFound(FieldQueue, name)
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, items, err := s.AMI.List(ctx, ami.Action{Name: "QueueStatus", Headers: map[string]string{"Queue": name}})
	if err != nil {
		return Queue{}, amiError("queue status", err)
	}
	return queueOf(name, items)
}

// queueOf reads the QueueStatus list of one queue.
func queueOf(name string, items []ami.Message) (Queue, error) {
	var q Queue
	found := false
	for _, it := range items {
		if it["Queue"] != name {
			continue
		}
		switch it.Event() {
		case "QueueParams":
			found = true
			perf, _ := strconv.ParseFloat(it["ServicelevelPerf"], 64)
			q.Name, q.Strategy, q.Max, q.Calls = it["Queue"], it["Strategy"], num(it["Max"]), num(it["Calls"])
			q.Holdtime, q.TalkTime = secs(it["Holdtime"]), secs(it["TalkTime"])
			q.Completed, q.Abandoned, q.Weight = num(it["Completed"]), num(it["Abandoned"]), num(it["Weight"])
			q.ServiceLevel, q.ServiceLevelPerf = secs(it["ServiceLevel"]), perf
		case "QueueMember":
			m := QueueMember{Name: it["Name"], Location: it["Location"], StateInterface: it["StateInterface"],
				Membership: it["Membership"], Penalty: num(it["Penalty"]), CallsTaken: num(it["CallsTaken"]),
				InCall: it["InCall"] == "1", Status: num(it["Status"]), Paused: it["Paused"] == "1"}
			if n := num(it["LastCall"]); n > 0 {
				m.LastCall = time.Unix(int64(n), 0)
			}
			q.Members = append(q.Members, m)
		case "QueueEntry":
			q.Waiting = append(q.Waiting, QueueCaller{
				Position: num(it["Position"]), Channel: it["Channel"], Uniqueid: it["Uniqueid"],
				Caller:    CallerID{Number: it["CallerIDNum"], Name: ami.Unescape(it["CallerIDName"])},
				Connected: CallerID{Number: known(it["ConnectedLineNum"]), Name: known(ami.Unescape(it["ConnectedLineName"]))},
				Wait:      secs(it["Wait"]),
			})
		}
	}
	if !found {
		return Queue{}, NotFound(FieldQueue, name)
	}
	return q, nil
}

func num(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func secs(s string) time.Duration { return time.Duration(num(s)) * time.Second }

// known is "" for Asterisk's placeholders of an unknown value.
func known(s string) string {
	if s == "unknown" || s == "<unknown>" {
		return ""
	}
	return s
}

// queueExists asks Asterisk whether a queue exists.
func (s *Agents) queueExists(ctx context.Context, name string) error {
	_, err := s.QueueStatus(ctx, name)
	return err
}
