package cdr

import "time"

// Directions of a record (the seed's direction field).
const (
	Outbound      = 0
	Inbound       = 1
	MissedInbound = 2
)

// Who ended a call or a leg.
const (
	ByCaller = "caller"
	ByCallee = "callee"
	BySystem = "system"
)

// Leg kinds: why an extension (or a call flow) took part in a call.
const (
	KindDirect   = "direct"   // the number dialled it
	KindGroup    = "group"    // one of several lines rung together
	KindQueue    = "queue"    // a queue member
	KindTransfer = "transfer" // a transfer target
	KindPickup   = "pickup"   // it picked the call up
	KindFlow     = "flow"     // the call was in a call flow (IVR) of this technical extension
	KindExternal = "external" // a number outside the PBX was dialled for the call (forward, transfer out)
)

// Record is a finished call: the main CDR and its legs (sub-CDRs).
// Times are zero when absent; numbers and user ids "" or 0 when unknown.
type Record struct {
	ID        uint64    `json:"id"`
	Direction int       `json:"direction"`
	Internal  bool      `json:"internal"` // extension to extension: no trunk involved
	Start     time.Time `json:"start_time"`
	Answer    time.Time `json:"answer_time"`
	Hangup    time.Time `json:"hangup_time"`
	Src       string    `json:"src"`
	SrcUserID int       `json:"src_user_id"`
	Dst       string    `json:"dst"`
	DstUserID int       `json:"dst_user_id"`
	Exten     string    `json:"exten"`
	Duration  int       `json:"duration"`
	Billsec   int       `json:"billsec"`
	Ringtime  int       `json:"ringtime"`
	Pincode   string    `json:"pincode"`
	IVRDigits string    `json:"ivr_digits"`
	CCCall    int       `json:"cc_call"`
	Price     float64   `json:"price"`
	// CostLocation comes from the user of the record's extension.
	CostLocation     string `json:"cost_location"`
	MonitorFileName  string `json:"monitor_file_name"`
	CustomField      string `json:"custom_field"`
	OtherPartyNumber string `json:"other_party_number"`
	LastExten        string `json:"last_exten"`
	UserNumber       string `json:"user_number"`

	// callctl's own fields.
	AnsweredBy    string    `json:"answered_by"` // the extension (inbound, internal) or number (outbound) that answered
	HangupBy      string    `json:"hangup_by"`   // caller, callee or system
	CustomCDR     [4]string `json:"custom_cdr"`  // customCDR1..4 of the API request that made the call
	RecordingPath string    `json:"recording_path"`
	Linkedid      string    `json:"linkedid"`
	Uniqueids     []string  `json:"uniqueids"`
	// Resynced: the call ended while callctl could not see Asterisk (AMI
	// down, events lost, daemon stopped); Hangup is when that was noticed.
	Resynced bool `json:"resynced"`
	// Adopted: the call was already up when callctl first saw it; Start and
	// Answer may be late.
	Adopted bool `json:"adopted"`
	// Backfilled: callctl did not see the call over AMI (it was not
	// running, or had lost its connection); the record was rebuilt from
	// Asterisk's CEL log afterwards (package cdr/cel says what CEL lacks).
	Backfilled bool `json:"backfilled"`

	Legs []Leg `json:"sub_cdrs"`
}

// Leg is a sub-CDR: one extension's (or call flow's) part in a call.
type Leg struct {
	ID        uint64    `json:"id"`
	Kind      string    `json:"kind"`
	Direction int       `json:"direction"`
	Start     time.Time `json:"start_time"`
	Answer    time.Time `json:"answer_time"`
	Hangup    time.Time `json:"hangup_time"`
	Src       string    `json:"src"`
	SrcUserID int       `json:"src_user_id"`
	Dst       string    `json:"dst"`
	DstUserID int       `json:"dst_user_id"`
	Exten     string    `json:"exten"`
	Duration  int       `json:"duration"`
	Billsec   int       `json:"billsec"`
	Ringtime  int       `json:"ringtime"`
	IVRDigits string    `json:"ivr_digits"`
	CCCall    int       `json:"cc_call"`
	// Status is how the ringing ended: ANSWER, NOANSWER, BUSY, CANCEL,
	// CONGESTION, CHANUNAVAIL, PICKEDUP (another line took it) …
	Status          string `json:"status"`
	Queue           string `json:"queue"`
	MonitorFileName string `json:"monitor_file_name"`
	RecordingPath   string `json:"recording_path"`
	HangupBy        string `json:"hangup_by"`
	Channel         string `json:"channel"`
	Uniqueid        string `json:"uniqueid"`
}

// seconds returns whole seconds between two times as the seed counts them:
// the difference of the times shown (both truncated to the second), so that
// duration = ringtime + billsec always holds.
func seconds(from, to time.Time) int {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return 0
	}
	return int(to.Unix() - from.Unix())
}
