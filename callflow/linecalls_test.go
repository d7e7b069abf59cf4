package callflow

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrfeed"
)

// replayDirectory is the test bed's PBX as the CDR engine sees it.
type replayDirectory struct{}

func (replayDirectory) Line(ep string) (cdr.Line, bool) {
	if len(ep) == 4 && strings.HasPrefix(ep, "100") {
		return cdr.Line{Number: ep}, true
	}
	return cdr.Line{}, false
}
func (replayDirectory) IsTrunk(ep string) bool { return ep == "carrier" }
func (replayDirectory) QueueID(q string) int   { return map[string]int{"support": 1, "sales": 2}[q] }

type idCounter struct{ n uint64 }

func (c *idCounter) NextID() uint64 { c.n++; return c.n }

// summary is what a test states of a line's call.
func summary(c LineCall) string {
	dir, party, ans := "outbound", "internal", "ringing"
	if c.Inbound {
		dir = "inbound"
	}
	if c.External {
		party = "external"
	}
	if !c.Answer.IsZero() {
		ans = "answered"
	}
	own := "sub-record"
	if c.ID == c.CallID {
		own = "main record"
	}
	return fmt.Sprintf("%s %s %s %s (%s)", dir, party, c.OtherNumber, ans, own)
}

// lineViews replays a recorded event log (cdr/testdata) and returns what
// LineCalls showed of line after each event, each distinct view once.
func lineViews(t *testing.T, fixture, line string) []string {
	t.Helper()
	f, err := os.Open("../cdr/testdata/" + fixture + ".jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := cdr.NewTracker(cdr.Options{Directory: replayDirectory{}, IDs: &idCounter{}})
	view := newFakeView()
	b := newBed(t)
	b.core.Calls.Live = view
	if fixture == "click-to-call" {
		// As ClickToCall leaves it: the number its line dials.
		b.core.Calls.outcomes.put(Outcome{Action: ActionClickToCall, Ref: CallRef{CallID: 1}, Destination: "3630111222"})
	}
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]string
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		e, ok := cdrfeed.ParseEvent(ami.Message(m))
		if !ok {
			continue
		}
		tr.Apply(&e)
		view.calls = tr.Live()
		calls, err := b.core.Calls.LineCalls(context.Background(), LineSelector{InternalNumber: line})
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, c := range calls {
			if c.Start.IsZero() {
				t.Errorf("%s: a call without a start time", fixture)
			}
			s = append(s, summary(c))
		}
		v := "[" + strings.Join(s, "; ") + "]"
		if len(out) == 0 || out[len(out)-1] != v {
			out = append(out, v)
		}
	}
	return out
}

func TestLineCallsOfRecordedCalls(t *testing.T) {
	for _, c := range []struct {
		fixture, line string
		want          []string
	}{
		{"internal", "1000", []string{"[outbound internal 1001 ringing (main record)]", "[outbound internal 1001 answered (main record)]", "[]"}},
		{"internal", "1001", []string{"[]", "[inbound internal 1000 ringing (sub-record)]", "[inbound internal 1000 answered (sub-record)]", "[]"}},
		{"inbound-answered", "1001", []string{"[]", "[inbound external 3630999888 ringing (sub-record)]", "[inbound external 3630999888 answered (sub-record)]", "[]"}},
		{"outbound-answered", "1000", []string{"[outbound external 3630111222 ringing (main record)]", "[outbound external 3630111222 answered (main record)]", "[]"}},
		{"click-to-call", "1000", []string{"[outbound external 3630111222 ringing (main record)]", "[outbound external 3630111222 answered (main record)]", "[]"}},
		{"ring-group", "1001", []string{"[]", "[inbound external 3630999888 ringing (sub-record)]", "[]"}},
		{"ring-group", "1002", []string{"[]", "[inbound external 3630999888 ringing (sub-record)]", "[inbound external 3630999888 answered (sub-record)]", "[]"}},
		{"blind-transfer", "1002", []string{"[]", "[inbound external 3630999888 ringing (sub-record)]", "[inbound external 3630999888 answered (sub-record)]", "[]"}},
		{"blind-transfer", "1001", []string{"[]", "[inbound external 3630999888 ringing (sub-record)]", "[inbound external 3630999888 answered (sub-record)]", "[]"}},
	} {
		got := lineViews(t, c.fixture, c.line)
		if c.want == nil {
			t.Logf("%s, %s: %q", c.fixture, c.line, got)
			continue
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s, line %s:\n got %q\nwant %q", c.fixture, c.line, got, c.want)
		}
	}
}

func TestLineCallsOfUnknownLine(t *testing.T) {
	b := newBed(t)
	for _, sel := range []LineSelector{{InternalNumber: "2000"}, {InternalNumber: "10\r\n00"}, {}} {
		_, err := b.core.Calls.LineCalls(context.Background(), sel)
		var e *Error
		if !errors.As(err, &e) || e.Field != FieldSource || (e.Kind != KindNotFound && e.Kind != KindMissing) {
			t.Errorf("%+v: %v", sel, err)
		}
	}
}
