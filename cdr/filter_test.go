package cdr_test

import (
	"bufio"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// amiFilter is one eventfilter line of manager.conf in Asterisk's advanced
// syntax: eventfilter(action(…),name(…),header(…),method(…)) = expression.
type amiFilter struct {
	exclude      bool
	name, header string
	method, expr string
	re           *regexp.Regexp
}

var filterLine = regexp.MustCompile(`^eventfilter\(([^)]*(?:\)[^)]*)*)\)\s*=\s*(.*)$`)
var criterion = regexp.MustCompile(`(action|name|header|method)\(([^)]*)\)`)

// shippedFilters reads the eventfilter lines of a user's section of the
// test bed's manager.conf.
func shippedFilters(t testing.TB, user string) []amiFilter {
	f, err := os.Open("../test/asterisk/etc/manager.conf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []amiFilter
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			section = strings.Trim(line, "[]")
			continue
		}
		if section != user || !strings.HasPrefix(line, "eventfilter(") {
			continue
		}
		m := filterLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("cannot read %q", line)
		}
		flt := amiFilter{method: "none", expr: m[2]}
		for _, c := range criterion.FindAllStringSubmatch(m[1], -1) {
			switch c[1] {
			case "action":
				flt.exclude = c[2] == "exclude"
			case "name":
				flt.name = c[2]
			case "header":
				flt.header = c[2]
			case "method":
				flt.method = c[2]
			}
		}
		if flt.method == "regex" {
			flt.re = regexp.MustCompile(flt.expr)
		}
		out = append(out, flt)
	}
	return out
}

func (f amiFilter) matches(m map[string]string) bool {
	if f.name != "" && m["Event"] != f.name {
		return false
	}
	data := ""
	if f.header != "" {
		v, ok := m[f.header]
		if !ok {
			return false
		}
		data = v
	} else {
		b, _ := json.Marshal(m) // the whole payload; enough for the methods below
		data = string(b)
	}
	switch f.method {
	case "none":
		return true
	case "regex":
		return f.re.MatchString(data)
	case "exact":
		return data == f.expr
	case "starts_with":
		return strings.HasPrefix(data, f.expr)
	case "ends_with":
		return strings.HasSuffix(data, f.expr)
	case "contains":
		return strings.Contains(data, f.expr)
	}
	return false
}

// passes applies Asterisk's order: include filters first (any match), then
// exclude filters. Events callctl's ami package makes (Callctl*) and the
// items of action answers are never filtered by Asterisk.
func passes(filters []amiFilter, m map[string]string) bool {
	ev := m["Event"]
	if strings.HasPrefix(ev, "Callctl") || m["ActionID"] != "" || ev == "CoreShowChannel" || ev == "CoreShowChannelsComplete" {
		return true
	}
	hasInclude, included := false, false
	for _, f := range filters {
		if !f.exclude {
			hasInclude = true
			if f.matches(m) {
				included = true
			}
		}
	}
	if hasInclude && !included {
		return false
	}
	for _, f := range filters {
		if f.exclude && f.matches(m) {
			return false
		}
	}
	return true
}

// The event filter README and the test bed ship keeps everything the CDR
// engine needs: every recorded scenario (recorded without filters) replays
// to the same records from only the events that pass it — and most events
// do not.
func TestShippedEventFilterKeepsTheRecords(t *testing.T) {
	filters := shippedFilters(t, "callctl")
	if len(filters) == 0 {
		t.Fatal("no eventfilter in the test bed's manager.conf")
	}
	if len(shippedFilters(t, "callctl-all")) != 0 {
		t.Fatal("the callctl-all user must have no filters")
	}
	total, kept := 0, 0
	for _, name := range FixtureNames(t) {
		all := loadFixture(t, name)
		var some []map[string]string
		for _, m := range all {
			if passes(filters, m) {
				some = append(some, m)
			}
		}
		total += len(all)
		kept += len(some)
		want, _ := json.Marshal(replay(newTestTracker(t), all))
		got, _ := json.Marshal(replay(newTestTracker(t), some))
		if string(got) != string(want) {
			t.Errorf("%s: the filtered events give other records:\n%s\nwant\n%s", name, got, want)
		}
	}
	t.Logf("the filter keeps %d of %d recorded events (%.0f %%)", kept, total, 100*float64(kept)/float64(total))
	if kept*2 > total {
		t.Errorf("the filter keeps %d of %d events: it hardly filters", kept, total)
	}
}
