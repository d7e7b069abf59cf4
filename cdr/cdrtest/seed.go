package cdrtest

import (
	"fmt"
	"time"

	"github.com/callctl/callctl/cdr"
)

// SeedInboundDifferences compares a record of the ivr-queue scenario with
// the seed's inbound example (seeds/vipex-api-clients-hu.txt, "Példa POST
// Body (bejövő telefonhívás)"), field by field, ids, times and numbers aside:
// a call that went through call flow 200 (IVR, digits 1 then 2), rang one
// line that did not answer and was answered by another. caller and did are
// the scenario's numbers standing in for the seed's.
//
// On purpose, not compared: the main record's cc_call (null in the seed's
// main record although its sub-records carry the queue; callctl fills it),
// user ids (the seed's PBX had no users on these lines; the test bed's do),
// and the main monitor_file_name (its value is missing in the seed).
//
// Where the seed shows two moments in the same second (a busy line's ring
// of 0 s, the ringing starting as the flow leg ends), a live call may cross
// a second boundary between them: one second apart is accepted there.
func SeedInboundDifferences(s cdr.SeedRecord, caller, did string) []string {
	var d []string
	check := func(ok bool, format string, a ...any) {
		if !ok {
			d = append(d, fmt.Sprintf(format, a...))
		}
	}
	check(s.Direction == cdr.Inbound, "direction %d, seed 1", s.Direction)
	check(s.Src == caller && s.Dst == did, "src/dst %s/%s, seed the caller and the DID", s.Src, s.Dst)
	check(s.Exten == "200", "exten %q, seed the call flow's technical extension 200", s.Exten)
	check(str(s.IVRDigits) == "1,2", "ivr_digits %q, seed \"1,2\"", str(s.IVRDigits))
	check(s.AnswerTime != nil && s.Pincode == nil, "answer_time %v pincode %v, seed a time and null", s.AnswerTime, s.Pincode)
	check(s.Duration == s.Ringtime+s.Billsec, "duration %d != ringtime %d + billsec %d", s.Duration, s.Ringtime, s.Billsec)
	if len(s.SubCDRs) != 3 {
		return append(d, fmt.Sprintf("%d sub_cdrs, seed 3", len(s.SubCDRs)))
	}
	flow, missed, answered := s.SubCDRs[0], s.SubCDRs[1], s.SubCDRs[2]

	check(flow.Direction == cdr.MissedInbound && flow.AnswerTime == nil, "flow leg: direction %d answer %v, seed 2 and null", flow.Direction, flow.AnswerTime)
	check(flow.Src == caller && flow.Dst == did && flow.Exten == "200", "flow leg: %s→%s exten %s, seed caller→DID exten 200", flow.Src, flow.Dst, flow.Exten)
	check(str(flow.IVRDigits) == "1,2" && flow.CCCall == nil && flow.MonitorFileName == nil, "flow leg: ivr_digits %q cc_call %v monitor %v, seed \"1,2\", null, null", str(flow.IVRDigits), flow.CCCall, flow.MonitorFileName)

	check(missed.Direction == cdr.MissedInbound && missed.AnswerTime == nil, "missed leg: direction %d answer %v, seed 2 and null", missed.Direction, missed.AnswerTime)
	check(missed.Src == caller && missed.Dst == missed.Exten && missed.Exten != "", "missed leg: %s→%s exten %s, seed caller→line, exten = dst", missed.Src, missed.Dst, missed.Exten)
	check(missed.Duration <= 1 && missed.Billsec == 0 && missed.Ringtime == missed.Duration, "missed leg: %d/%d/%d s, seed 0/0/0", missed.Duration, missed.Billsec, missed.Ringtime)
	check(sameSecond(missed.StartTime, missed.HangupTime), "missed leg: start %s hangup %s, seed equal", str(missed.StartTime), str(missed.HangupTime))
	check(missed.IVRDigits == nil && missed.CCCall != nil && missed.MonitorFileName == nil, "missed leg: ivr_digits %v cc_call %v monitor %v, seed null, the queue, null", missed.IVRDigits, missed.CCCall, missed.MonitorFileName)

	check(answered.Direction == cdr.Inbound && answered.AnswerTime != nil, "answered leg: direction %d answer %v, seed 1 and a time", answered.Direction, answered.AnswerTime)
	check(answered.Src == caller && answered.Dst == answered.Exten && answered.Exten != missed.Exten, "answered leg: %s→%s exten %s, seed caller→another line", answered.Src, answered.Dst, answered.Exten)
	check(answered.Duration == answered.Ringtime+answered.Billsec && answered.Billsec > 0, "answered leg: %d = %d + %d", answered.Duration, answered.Ringtime, answered.Billsec)
	check(sameSecond(answered.StartTime, missed.StartTime), "answered leg starts %s, missed leg %s: seed the same second", str(answered.StartTime), str(missed.StartTime))
	check(str(answered.AnswerTime) == str(s.AnswerTime) && str(answered.HangupTime) == str(s.HangupTime), "answered leg answer/hangup %s/%s, main %s/%s: seed equal", str(answered.AnswerTime), str(answered.HangupTime), str(s.AnswerTime), str(s.HangupTime))
	check(answered.IVRDigits == nil && answered.CCCall != nil && answered.MonitorFileName != nil, "answered leg: ivr_digits %v cc_call %v monitor %v, seed null, the queue, a file", answered.IVRDigits, answered.CCCall, answered.MonitorFileName)
	check(sameSecond(flow.HangupTime, missed.StartTime), "flow leg ends %s, ringing starts %s: seed the same second", str(flow.HangupTime), str(missed.StartTime))
	return d
}

func str(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

// sameSecond reports whether two seed times are equal or one second apart.
func sameSecond(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	ta, errA := time.Parse(cdr.SeedTimeFormat, *a)
	tb, errB := time.Parse(cdr.SeedTimeFormat, *b)
	if errA != nil || errB != nil {
		return *a == *b
	}
	d := ta.Sub(tb)
	return d >= -time.Second && d <= time.Second
}
