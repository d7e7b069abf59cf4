// Package cdrtest compares callctl's records with the CDRs Asterisk's own
// engine wrote for the same calls (cdr_custom, test/asterisk/etc/cdr_custom.conf):
// an oracle nobody on this project wrote. Used by the cdr package's replay
// tests and by the live integration tests.
package cdrtest

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/callctl/callctl/cdr"
)

// AsteriskCDR is one line of the test bed's Master.csv.
type AsteriskCDR struct {
	Linkedid, Uniqueid, Channel, DstChannel, Src, Dst string
	Context, LastApp, Disposition                     string
	Duration, Billsec                                 int
	Start, Answer, End                                string
}

// ParseCSV reads the test bed's cdr_custom lines.
func ParseCSV(r io.Reader) ([]AsteriskCDR, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, err
	}
	var out []AsteriskCDR
	for _, f := range rows {
		if len(f) < 15 {
			return nil, fmt.Errorf("cdrtest: %d fields in %q", len(f), f)
		}
		d, _ := strconv.Atoi(f[9])
		b, _ := strconv.Atoi(f[10])
		out = append(out, AsteriskCDR{f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], d, b, f[11], f[12], f[13]})
	}
	return out, nil
}

// Difference is one place where callctl and Asterisk disagree.
type Difference struct {
	Channel string // the dialled channel of the Asterisk record ("*": the whole scenario)
	What    string
}

func (d Difference) String() string { return d.Channel + ": " + d.What }

// Endpoint is the device of the channel ("1001" for PJSIP/1001-0000000e).
func (d Difference) Endpoint() string {
	_, rest, _ := strings.Cut(d.Channel, "/")
	if i := strings.LastIndexByte(rest, '-'); i > 0 {
		rest = rest[:i]
	}
	if rest == "" {
		return d.Channel
	}
	return rest
}

// Known lists the differences a scenario is expected to show, by endpoint
// ("*" for the scenario as a whole), with the reason.
type Known map[string]map[string]string

// Unexpected returns the differences not in known for the scenario.
func (k Known) Unexpected(scenario string, diffs []Difference) []Difference {
	var out []Difference
	for _, d := range diffs {
		if _, ok := k[scenario][d.Endpoint()]; !ok {
			out = append(out, d)
		}
	}
	return out
}

// KnownDifferences are the places where callctl disagrees with Asterisk's
// own CDR on purpose, by scenario (test/scenario) and endpoint.
var KnownDifferences = Known{
	// A queue member that refuses the call (486) is "NO ANSWER" to
	// app_queue's CDR, and Asterisk's first record of the caller starts with
	// the call and is answered by the call flow (IVR), so its billsec and
	// duration include the IVR. callctl reads the member's hangup cause (17,
	// busy) and counts a leg from when that line rang and answered.
	"ivr-queue": {
		"1001": "busy member; times from the member's own ringing",
		"1002": "billsec from the member's answer, not from the IVR's",
	},
	// Asterisk gives the dial to 1001 "ANSWERED" (0 s) when 1002 picks it
	// up; callctl says 1001 did not answer (PICKEDUP) and gives the answer to
	// 1002's pickup leg, as the seed's sub-CDRs want.
	"pickup": {"1001": "picked up by another line"},
	// Asterisk was killed with the call up: it wrote no CDR at all. callctl
	// closed the call when it saw Asterisk again (Record.Resynced).
	"restart-mid-call": {"*": "Asterisk lost the call's CDR"},
}

// unit is what callctl says of one dial attempt.
type unit struct {
	answered          bool
	status            string
	billsec, duration int
}

// Compare checks, for every dial attempt Asterisk recorded (a CDR with a
// destination channel), that callctl has it too with the same outcome
// (ANSWERED / NO ANSWER / BUSY / FAILED), a billsec and a duration within one
// second (Asterisk truncates millisecond differences, callctl subtracts the
// times shown), and that both count the same number of dial attempts. A destination that
// is a line must be one of callctl's legs; a trunk is the call itself.
func Compare(recs []cdr.Record, ast []AsteriskCDR) []Difference {
	// A line can take part twice, in two calls (a consultation call, then
	// the transferred call): units are keyed by call and dialled channel.
	units := map[string]unit{}
	for _, r := range recs {
		for _, l := range r.Legs {
			if l.Channel != "" {
				units[r.Linkedid+" "+l.Channel] = unit{!l.Answer.IsZero(), l.Status, l.Billsec, l.Duration}
			}
		}
	}
	var diffs []Difference
	attempts := 0
	for _, a := range ast {
		if a.DstChannel == "" {
			continue
		}
		attempts++
		key := a.Linkedid + " " + a.DstChannel
		u, ok := units[key]
		if !ok {
			r, found := byLinkedid(recs, a.Linkedid)
			if !found || !isTrunk(a.DstChannel) {
				diffs = append(diffs, Difference{a.DstChannel, "dialled according to Asterisk, unknown to callctl"})
				continue
			}
			u = unit{!r.Answer.IsZero(), outcomeOfCall(r), r.Billsec, r.Duration}
			units[key] = u
		}
		if got := category(u); got != a.Disposition {
			diffs = append(diffs, Difference{a.DstChannel, fmt.Sprintf("Asterisk %s, callctl %s (%s)", a.Disposition, got, u.status)})
		}
		if d := u.billsec - a.Billsec; d > 1 || d < -1 {
			diffs = append(diffs, Difference{a.DstChannel, fmt.Sprintf("billsec: Asterisk %d, callctl %d", a.Billsec, u.billsec)})
		}
		if d := u.duration - a.Duration; d > 1 || d < -1 {
			diffs = append(diffs, Difference{a.DstChannel, fmt.Sprintf("duration: Asterisk %d, callctl %d", a.Duration, u.duration)})
		}
	}
	if attempts != len(units) {
		diffs = append(diffs, Difference{"*", fmt.Sprintf("dial attempts: Asterisk %d, callctl %d", attempts, len(units))})
	}
	return diffs
}

func byLinkedid(recs []cdr.Record, linkedid string) (cdr.Record, bool) {
	for _, r := range recs {
		if r.Linkedid == linkedid {
			return r, true
		}
	}
	return cdr.Record{}, false
}

// isTrunk: the test bed's only trunk is "carrier".
func isTrunk(channel string) bool { return strings.HasPrefix(channel, "PJSIP/carrier-") }

// outcomeOfCall reads the outcome of an outbound call's trunk dial from the
// record's hangup side (busy is the callee refusing before an answer).
func outcomeOfCall(r cdr.Record) string {
	switch {
	case !r.Answer.IsZero():
		return "ANSWER"
	case r.HangupBy == cdr.ByCallee:
		return "BUSY"
	default:
		return "NOANSWER"
	}
}

// category maps callctl's outcome to Asterisk's disposition names.
func category(u unit) string {
	switch {
	case u.answered:
		return "ANSWERED"
	case u.status == "BUSY":
		return "BUSY"
	case u.status == "CONGESTION" || u.status == "CHANUNAVAIL":
		return "FAILED"
	default:
		return "NO ANSWER"
	}
}
