package cdr_test

import (
	"encoding/json"
	"os"
	"regexp"
	"testing"
	"time"
)

// The seed's two end-of-call examples (seeds/vipex-api-clients-hu.txt),
// in testdata. The inbound one is printed broken in the seed: its main
// monitor_file_name has no value and a trailing comma follows the last
// monitor_file; testdata has null and no comma, nothing else changed.
func seedExample(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

func jsonKind(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		if v == float64(int64(v)) {
			return "int"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case bool:
		return "bool"
	}
	return "?"
}

// Every field of the seed's examples is in callctl's body with a value of
// a kind the seed shows for it: ints stay ints, times are
// "YYYY-MM-DD HH:MM:SS", an absent value is null (never "" or 0), sub_cdrs
// is always an array.
func TestSeedShapeMatchesTheSeedsExamples(t *testing.T) {
	// The kinds each field may have: what the examples show, null where the
	// field is optional.
	allowed := map[string]map[string]bool{}
	note := func(k, kind string) {
		if allowed[k] == nil {
			allowed[k] = map[string]bool{}
		}
		allowed[k][kind] = true
	}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			note(prefix+k, jsonKind(v))
			if subs, ok := v.([]any); ok {
				for _, s := range subs {
					walk(prefix+k+".", s.(map[string]any))
				}
			}
		}
	}
	walk("", seedExample(t, "seed-outbound.json"))
	walk("", seedExample(t, "seed-inbound.json"))
	for _, k := range []string{"src_user_id", "dst_user_id", "pincode", "ivr_digits", "cc_call", "monitor_file_name", "cost_location",
		"sub_cdrs.pincode", "sub_cdrs.ivr_digits", "sub_cdrs.cc_call", "sub_cdrs.monitor_file_name", "sub_cdrs.answer_time", "sub_cdrs.src_user_id", "sub_cdrs.dst_user_id"} {
		note(k, "null")
	}
	// A user id is an int where the seed shows null (src_user_id shows both).
	for _, k := range []string{"dst_user_id", "sub_cdrs.src_user_id", "sub_cdrs.dst_user_id"} {
		note(k, "int")
	}
	note("answer_time", "null") // unanswered: the sub-records show it
	note("price", "int")        // a round price is written without decimals
	seedTime := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`)

	for _, fixture := range []string{"outbound-answered", "outbound-busy", "ivr-queue", "inbound-missed", "pickup", "blind-transfer"} {
		recs := ReplayFixture(t, fixture)
		for _, r := range recs {
			r.MonitorFileName = "x.wav" // as when recorded: the seed shows both forms
			s := r.Seed(time.UTC)
			file := "UklG"
			s.MonitorFile = &file
			data, _ := json.Marshal(s)
			var got map[string]any
			json.Unmarshal(data, &got)
			check := func(prefix string, got map[string]any) {
				for k := range allowed {
					if len(k) > len(prefix) && k[:len(prefix)] == prefix && !regexp.MustCompile(`\.`).MatchString(k[len(prefix):]) {
						if _, ok := got[k[len(prefix):]]; !ok && k != "sub_cdrs.monitor_file" {
							t.Errorf("%s %d: %s missing", fixture, r.ID, k)
						}
					}
				}
				for k, v := range got {
					kinds, known := allowed[prefix+k]
					if !known {
						continue // fields of the seed's list the examples do not show
					}
					if !kinds[jsonKind(v)] {
						t.Errorf("%s %d: %s%s is %s (%v), the seed shows %v", fixture, r.ID, prefix, k, jsonKind(v), v, kinds)
					}
					if s, ok := v.(string); ok && (k == "start_time" || k == "answer_time" || k == "hangup_time") && !seedTime.MatchString(s) {
						t.Errorf("%s %d: %s%s = %q, not YYYY-MM-DD HH:MM:SS", fixture, r.ID, prefix, k, s)
					}
				}
			}
			check("", got)
			if _, ok := got["sub_cdrs"].([]any); !ok {
				t.Errorf("%s %d: sub_cdrs is %v, want an array", fixture, r.ID, got["sub_cdrs"])
			}
			for _, l := range got["sub_cdrs"].([]any) {
				check("sub_cdrs.", l.(map[string]any))
			}
			if r.Answer.IsZero() && got["answer_time"] != nil {
				t.Errorf("%s %d: unanswered, answer_time %v", fixture, r.ID, got["answer_time"])
			}
			for _, k := range []string{"custom_field", "other_party_number", "last_exten", "user_number", "main_reference_id"} {
				if v, ok := got[k]; !ok || (v != nil && jsonKind(v) != "string") || v == "" {
					t.Errorf("%s %d: %s = %#v, want a non-empty string or null", fixture, r.ID, k, v)
				}
			}
		}
	}
}
