package cdr

import "time"

// SeedRecord is a record in the shape of the VIPeX end-of-call data
// (seeds/vipex-api-clients-hu.txt): its field names and order, times as
// "YYYY-MM-DD HH:MM:SS" in the PBX's zone, null for what is absent.
// MonitorFile (the recording, base64), MainReferenceID and the sub-records'
// ReferenceID are filled in by whoever sends it. Absent values are null,
// also where the seed's examples show none (other_party_number, last_exten).
type SeedRecord struct {
	ID               uint64    `json:"id"`
	Direction        int       `json:"direction"`
	StartTime        *string   `json:"start_time"`
	AnswerTime       *string   `json:"answer_time"`
	HangupTime       *string   `json:"hangup_time"`
	Src              string    `json:"src"`
	SrcUserID        *int      `json:"src_user_id"`
	Dst              string    `json:"dst"`
	DstUserID        *int      `json:"dst_user_id"`
	Exten            string    `json:"exten"`
	Duration         int       `json:"duration"`
	Billsec          int       `json:"billsec"`
	Ringtime         int       `json:"ringtime"`
	Pincode          *string   `json:"pincode"`
	IVRDigits        *string   `json:"ivr_digits"`
	CCCall           *int      `json:"cc_call"`
	Price            float64   `json:"price"`
	CostLocation     *string   `json:"cost_location"`
	MonitorFileName  *string   `json:"monitor_file_name"`
	MonitorFile      *string   `json:"monitor_file,omitempty"`
	MainReferenceID  *string   `json:"main_reference_id"`
	CustomField      *string   `json:"custom_field"`
	OtherPartyNumber *string   `json:"other_party_number"`
	LastExten        *string   `json:"last_exten"`
	UserNumber       *string   `json:"user_number"`
	SubCDRs          []SeedLeg `json:"sub_cdrs"`
}

// SeedLeg is a sub-record in the seed's shape.
type SeedLeg struct {
	ID              uint64  `json:"id"`
	Direction       int     `json:"direction"`
	StartTime       *string `json:"start_time"`
	AnswerTime      *string `json:"answer_time"`
	HangupTime      *string `json:"hangup_time"`
	Src             string  `json:"src"`
	SrcUserID       *int    `json:"src_user_id"`
	Dst             string  `json:"dst"`
	DstUserID       *int    `json:"dst_user_id"`
	Exten           string  `json:"exten"`
	Duration        int     `json:"duration"`
	Billsec         int     `json:"billsec"`
	Ringtime        int     `json:"ringtime"`
	Pincode         *string `json:"pincode"`
	IVRDigits       *string `json:"ivr_digits"`
	CCCall          *int    `json:"cc_call"`
	MonitorFileName *string `json:"monitor_file_name"`
	MonitorFile     *string `json:"monitor_file,omitempty"`
	// ReferenceID is the signed reference to this sub-record's recording
	// (VIPeX get_record), only where it has one; filled in by the sender.
	ReferenceID *string `json:"reference_id,omitempty"`
}

// SeedTimeFormat is the seeds' time format.
const SeedTimeFormat = "2006-01-02 15:04:05"

// Seed renders r in the seed's shape, with times in loc.
func (r Record) Seed(loc *time.Location) SeedRecord {
	s := SeedRecord{
		ID: r.ID, Direction: r.Direction,
		StartTime: seedTime(r.Start, loc), AnswerTime: seedTime(r.Answer, loc), HangupTime: seedTime(r.Hangup, loc),
		Src: r.Src, SrcUserID: optInt(r.SrcUserID), Dst: r.Dst, DstUserID: optInt(r.DstUserID), Exten: r.Exten,
		Duration: r.Duration, Billsec: r.Billsec, Ringtime: r.Ringtime,
		Pincode: optString(r.Pincode), IVRDigits: optString(r.IVRDigits), CCCall: optInt(r.CCCall),
		Price: r.Price, CostLocation: optString(r.CostLocation), MonitorFileName: optString(r.MonitorFileName),
		CustomField: optString(r.CustomField), OtherPartyNumber: optString(r.OtherPartyNumber), LastExten: optString(r.LastExten),
		UserNumber: optString(r.UserNumber), SubCDRs: []SeedLeg{},
	}
	for _, l := range r.Legs {
		s.SubCDRs = append(s.SubCDRs, SeedLeg{
			ID: l.ID, Direction: l.Direction,
			StartTime: seedTime(l.Start, loc), AnswerTime: seedTime(l.Answer, loc), HangupTime: seedTime(l.Hangup, loc),
			Src: l.Src, SrcUserID: optInt(l.SrcUserID), Dst: l.Dst, DstUserID: optInt(l.DstUserID), Exten: l.Exten,
			Duration: l.Duration, Billsec: l.Billsec, Ringtime: l.Ringtime,
			IVRDigits: optString(l.IVRDigits), CCCall: optInt(l.CCCall), MonitorFileName: optString(l.MonitorFileName),
		})
	}
	return s
}

func seedTime(t time.Time, loc *time.Location) *string {
	if t.IsZero() {
		return nil
	}
	s := t.In(loc).Format(SeedTimeFormat)
	return &s
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optInt(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}
