package webhook

import (
	"time"

	"github.com/callctl/callctl/cdr"
)

// The samples `webhook test` sends and templates are checked with: the
// seed's own examples (seeds/vipex-api-clients-hu.txt).

// sampleParams is the seed's notification example.
func sampleParams() Params {
	return Params{ID: 91000, StartTime: time.Date(2019, 12, 2, 12, 46, 17, 0, time.UTC),
		Src: "36709676052", Dst: "3619996000", Exten: "252"}
}

// sampleRecord is the seed's outbound end-of-call example.
func sampleRecord() cdr.Record {
	at := func(h, m, s int) time.Time { return time.Date(2019, 12, 3, h, m, s, 0, time.UTC) }
	return cdr.Record{ID: 76355, Direction: cdr.Outbound, Start: at(11, 41, 56), Answer: at(11, 42, 3), Hangup: at(11, 42, 6),
		Src: "1102", SrcUserID: 6, Dst: "36301234576", Exten: "1102", Duration: 10, Billsec: 3, Ringtime: 2,
		Pincode: "private", CCCall: -1, Price: 1.25, CostLocation: "12",
		MonitorFileName: "76355_vipexexten_demo_vipex_1102_36301234576.mp3", OtherPartyNumber: "36301234576", LastExten: "1102"}
}

// sampleFields are the sample's fields for a client of kind (times in UTC).
func sampleFields(kind string) Fields {
	if kind != KindCallEnd {
		return sampleParams().fields(time.UTC)
	}
	s := sampleRecord().Seed(time.UTC)
	ref, file := "sample-reference", "UklGRmS2DgBXQVZF"
	s.MainReferenceID, s.MonitorFile = &ref, &file
	fs, _ := objectFields(s)
	return fs
}
