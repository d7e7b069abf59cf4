package cdrtest

import (
	"encoding/json"
	"fmt"

	"github.com/callctl/callctl/cdr"
)

// LegSummary is what a scenario must show of a leg, ids and times aside.
type LegSummary struct {
	Kind, Exten, Status, HangupBy string
	Direction                     int
}

// CallSummary is what a scenario must show of a record, ids and times aside.
type CallSummary struct {
	Direction                   int
	Internal                    bool
	Src, Dst, Exten, AnsweredBy string
	HangupBy                    string
	Legs                        []LegSummary
}

func (s CallSummary) String() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Summarize reduces records to what Expectations state.
func Summarize(recs []cdr.Record) []CallSummary {
	var out []CallSummary
	for _, r := range recs {
		s := CallSummary{r.Direction, r.Internal, r.Src, r.Dst, r.Exten, r.AnsweredBy, r.HangupBy, nil}
		for _, l := range r.Legs {
			s.Legs = append(s.Legs, LegSummary{l.Kind, l.Exten, l.Status, l.HangupBy, l.Direction})
		}
		out = append(out, s)
	}
	return out
}

// Expectations are the meaning of each scenario of test/scenario, stated by
// hand: the records callctl must write for it, in order of their end.
var Expectations = map[string][]CallSummary{
	"outbound-answered": {{cdr.Outbound, false, "1000", "3630111222", "1000", "3630111222", cdr.ByCaller, nil}},
	"outbound-busy":     {{cdr.Outbound, false, "1000", "3630111222", "1000", "", cdr.ByCallee, nil}},
	"outbound-noanswer": {{cdr.Outbound, false, "1000", "3630111222", "1000", "", cdr.ByCaller, nil}},
	"internal": {{cdr.Outbound, true, "1000", "1001", "1000", "1001", cdr.ByCallee, []LegSummary{
		{cdr.KindDirect, "1001", "ANSWER", cdr.ByCallee, cdr.Inbound}}}},
	"inbound-answered": {{cdr.Inbound, false, "3630999888", "36123451001", "1001", "1001", cdr.ByCaller, []LegSummary{
		{cdr.KindDirect, "1001", "ANSWER", cdr.ByCaller, cdr.Inbound}}}},
	"inbound-missed": {{cdr.MissedInbound, false, "3630999888", "36123451001", "1001", "", cdr.ByCaller, []LegSummary{
		{cdr.KindDirect, "1001", "CANCEL", cdr.ByCaller, cdr.MissedInbound}}}},
	"ring-group": {{cdr.Inbound, false, "3630999888", "3612340100", "1002", "1002", cdr.ByCallee, []LegSummary{
		{cdr.KindGroup, "1001", "CANCEL", cdr.BySystem, cdr.MissedInbound},
		{cdr.KindGroup, "1002", "ANSWER", cdr.ByCallee, cdr.Inbound}}}},
	"queue-second-agent": {{cdr.Inbound, false, "3630999888", "3612340200", "1002", "1002", cdr.ByCaller, []LegSummary{
		{cdr.KindQueue, "1001", "NOANSWER", cdr.BySystem, cdr.MissedInbound},
		{cdr.KindQueue, "1002", "ANSWER", cdr.ByCaller, cdr.Inbound}}}},
	"blind-transfer": {{cdr.Inbound, false, "3630999888", "36123451001", "1001", "1001", cdr.ByCaller, []LegSummary{
		{cdr.KindDirect, "1001", "ANSWER", cdr.ByCallee, cdr.Inbound},
		{cdr.KindTransfer, "1002", "ANSWER", cdr.ByCaller, cdr.Inbound}}}},
	"attended-transfer": {
		// The consultation call 1001 → 1002 is a call of its own.
		{cdr.Outbound, true, "1001", "1002", "1001", "1002", cdr.BySystem, []LegSummary{
			{cdr.KindDirect, "1002", "ANSWER", cdr.BySystem, cdr.Inbound}}},
		{cdr.Inbound, false, "3630999888", "36123451001", "1001", "1001", cdr.ByCallee, []LegSummary{
			{cdr.KindDirect, "1001", "ANSWER", cdr.ByCallee, cdr.Inbound},
			{cdr.KindTransfer, "1002", "ANSWER", cdr.ByCallee, cdr.Inbound}}}},
	"pickup": {{cdr.Inbound, false, "3630999888", "36123451001", "1002", "1002", cdr.ByCallee, []LegSummary{
		{cdr.KindDirect, "1001", "PICKEDUP", cdr.BySystem, cdr.MissedInbound},
		{cdr.KindPickup, "1002", "ANSWER", cdr.ByCallee, cdr.Inbound}}}},
	"click-to-call": {{cdr.Outbound, false, "1000", "3630111222", "1000", "3630111222", cdr.ByCaller, nil}},
	// The seed's inbound example: a call-flow leg, a line that did not
	// answer (busy) and the line that answered.
	"ivr-queue": {{cdr.Inbound, false, "3630999888", "3612340300", "200", "1002", cdr.ByCaller, []LegSummary{
		{cdr.KindFlow, "200", "", cdr.BySystem, cdr.MissedInbound},
		{cdr.KindQueue, "1001", "BUSY", cdr.ByCallee, cdr.MissedInbound},
		{cdr.KindQueue, "1002", "ANSWER", cdr.ByCaller, cdr.Inbound}}}},
	// Asterisk was killed mid-call: closed when callctl saw it again.
	"restart-mid-call": {{cdr.Inbound, false, "3630999888", "36123451001", "1001", "1001", cdr.BySystem, []LegSummary{
		{cdr.KindDirect, "1001", "ANSWER", cdr.BySystem, cdr.Inbound}}}},
}

// CheckScenario compares records with the scenario's expectations and the
// invariants every record keeps.
func CheckScenario(name string, recs []cdr.Record) []string {
	want, ok := Expectations[name]
	if !ok {
		return []string{"no expectations written for " + name}
	}
	var d []string
	got := Summarize(recs)
	if len(got) != len(want) {
		return []string{fmt.Sprintf("%d records, want %d: %v", len(got), len(want), got)}
	}
	for i := range want {
		if got[i].String() != want[i].String() {
			d = append(d, fmt.Sprintf("record %d:\n got %s\nwant %s", i, got[i], want[i]))
		}
		d = append(d, Invariants(recs[i])...)
	}
	return d
}

// Invariants are what holds for every record.
func Invariants(r cdr.Record) []string {
	var d []string
	if r.Duration != r.Ringtime+r.Billsec {
		d = append(d, fmt.Sprintf("duration %d != ringtime %d + billsec %d", r.Duration, r.Ringtime, r.Billsec))
	}
	if r.Answer.IsZero() != (r.Billsec == 0 && r.AnsweredBy == "") {
		d = append(d, fmt.Sprintf("answer time %v with billsec %d, answered by %q", r.Answer, r.Billsec, r.AnsweredBy))
	}
	if r.Start.After(r.Hangup) || r.ID == 0 {
		d = append(d, fmt.Sprintf("start %v after hangup %v, or id 0", r.Start, r.Hangup))
	}
	for _, l := range r.Legs {
		if l.Duration != l.Ringtime+l.Billsec || l.Start.Before(r.Start) || l.Hangup.After(r.Hangup) || l.ID == 0 || l.ID == r.ID {
			d = append(d, fmt.Sprintf("leg %d (%s %s) outside its call or inconsistent", l.ID, l.Kind, l.Exten))
		}
	}
	return d
}
