package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/callctl/callctl/cdr"
)

// Field is one named value of a delivery, as JSON (a string, number, null,
// or for sub_cdrs an array).
type Field struct {
	Name  string          `json:"name"`
	Value json.RawMessage `json:"value"`
}

// Fields are a delivery's values in the order they are sent.
type Fields []Field

// StringField and IntField make fields; an empty string or a zero int is
// sent as null (the seed's "absent").
func StringField(name, v string) Field {
	if v == "" {
		return Field{Name: name, Value: json.RawMessage("null")}
	}
	b, _ := json.Marshal(v)
	return Field{Name: name, Value: b}
}

// IntField: see StringField.
func IntField(name string, v int64) Field {
	if v == 0 {
		return Field{Name: name, Value: json.RawMessage("null")}
	}
	return Field{Name: name, Value: json.RawMessage(strconv.FormatInt(v, 10))}
}

// Text is the value as text for a URL or a form: a string unquoted, null
// empty, anything else its JSON.
func (f Field) Text() string {
	v := bytes.TrimSpace(f.Value)
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	if v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	return string(v)
}

// IsNull reports whether the value is JSON null (or missing).
func (f Field) IsNull() bool {
	v := bytes.TrimSpace(f.Value)
	return len(v) == 0 || string(v) == "null"
}

// Get returns the field called name.
func (fs Fields) Get(name string) (Field, bool) {
	for _, f := range fs {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// JSON encodes the fields as one JSON object, in order.
func (fs Fields) JSON() []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(f.Name)
		b.Write(name)
		b.WriteByte(':')
		if f.IsNull() {
			b.WriteString("null")
		} else {
			b.Write(f.Value)
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

// Form encodes the fields as a query string / form body, in order.
func (fs Fields) Form() string {
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(f.Name))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(f.Text()))
	}
	return b.String()
}

// objectFields turns a JSON-encodable struct into its fields, in the order
// encoding/json writes them.
func objectFields(v any) (Fields, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("webhook: %T is not a JSON object", v)
	}
	var fs Fields
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		fs = append(fs, Field{Name: t.(string), Value: raw})
	}
	return fs, nil
}

// The parameters each kind may send (seeds/vipex-api-clients-hu.txt).
var (
	// CallParams are the data query's and the incoming-call notification's.
	CallParams = []string{"id", "start_time", "src", "dst", "exten", "ivr_digits", "cc_call", "custom_field"}
	// CallEndParams are the end-of-call data's; main_reference_id is the
	// signed recording reference. node_id is always sent besides them.
	CallEndParams = []string{"id", "direction", "start_time", "answer_time", "hangup_time", "src", "src_user_id",
		"dst", "dst_user_id", "exten", "duration", "billsec", "ringtime", "pincode", "ivr_digits", "cc_call", "price",
		"cost_location", "monitor_file_name", "monitor_file", "main_reference_id", "custom_field",
		"other_party_number", "last_exten", "user_number", "sub_cdrs"}
)

// paramNodeID is callctl's addition to every kind: which PBX host sent it.
const paramNodeID = "node_id"

// Params is what a data query or an incoming-call notification tells about
// a call; zero values are absent.
type Params struct {
	ID          uint64    `json:"id"` // the call's id
	StartTime   time.Time `json:"start_time"`
	Src         string    `json:"src"`   // the caller's number
	Dst         string    `json:"dst"`   // the external number called
	Exten       string    `json:"exten"` // the extension ringing or answering (ring, answer)
	IVRDigits   string    `json:"ivr_digits"`
	CCCall      int       `json:"cc_call"`
	CustomField string    `json:"custom_field"`
}

// fields returns the call's parameters in the seed's order, times in loc.
func (p Params) fields(loc *time.Location) Fields {
	start := ""
	if !p.StartTime.IsZero() {
		start = p.StartTime.In(loc).Format(cdr.SeedTimeFormat)
	}
	return Fields{
		IntField("id", int64(p.ID)),
		StringField("start_time", start),
		StringField("src", p.Src),
		StringField("dst", p.Dst),
		StringField("exten", p.Exten),
		StringField("ivr_digits", p.IVRDigits),
		IntField("cc_call", int64(p.CCCall)),
		StringField("custom_field", p.CustomField),
	}
}
