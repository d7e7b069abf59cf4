// Package flow is callctl's call logic as data: a Flow is a named list of
// steps (notify, query, menu, tag, ring, queue, voicemail, playback,
// say_digits, goto, hangup) that a DID or a technical extension points at.
//
// This file holds the types, which are the flow language: a flow is written
// in YAML or JSON with exactly these keys. Decoding, validation and the
// store live beside it; the executor (over ARI, Stasis app "callctl") is
// package flowrun.
package flow

import "time"

// Flow is one call flow. Steps run from the first; a step's exits name the
// step that comes next, by ID. A step with no exit for what happened ends
// the flow, and the call is hung up.
type Flow struct {
	// Name identifies the flow (pbx.dids and goto steps refer to it).
	Name string `yaml:"name"`
	// Exten is the technical extension the flow is reached at in the
	// shipped dialplan context callctl-flow (e.g. "200"); optional. It is
	// the main record's exten and the flow leg's destination.
	Exten string `yaml:"exten,omitempty"`
	// Language of the prompts (CHANNEL(language)): en or hu; default en.
	Language string `yaml:"language,omitempty"`
	// Default is the step a failure goes to (an ARI error, a destination
	// that does not exist, an answer that routes nowhere); empty: hang up
	// with a cause. A caller is never left in silence.
	Default string `yaml:"default,omitempty"`
	Steps   []Step `yaml:"steps"`
}

// Step is one step: exactly one of the kind fields is set.
type Step struct {
	ID string `yaml:"id"`
	// Next is where a step with a single way out goes on (notify, tag,
	// playback, say_digits); for the others it is what an exit that is not
	// named falls back to. Empty: the flow ends.
	Next string `yaml:"next,omitempty"`
	// Record records the step's answered leg (MixMonitor on the answering
	// channel; the file is the leg's monitor_file_name). Ring and queue only.
	Record bool `yaml:"record,omitempty"`

	Notify    *Notify    `yaml:"notify,omitempty"`
	Query     *Query     `yaml:"query,omitempty"`
	Menu      *Menu      `yaml:"menu,omitempty"`
	Tag       *Tag       `yaml:"tag,omitempty"`
	Ring      *Ring      `yaml:"ring,omitempty"`
	Queue     *Queue     `yaml:"queue,omitempty"`
	Voicemail *Voicemail `yaml:"voicemail,omitempty"`
	Playback  *Playback  `yaml:"playback,omitempty"`
	SayDigits *SayDigits `yaml:"say_digits,omitempty"`
	Goto      *Goto      `yaml:"goto,omitempty"`
	Hangup    *Hangup    `yaml:"hangup,omitempty"`
}

// Notify sends the call to a call_notify client at this step (its trigger
// "at a flow step"), without waiting for the answer.
type Notify struct {
	Client string `yaml:"client"`
}

// Query asks a data_query client and routes on its answer: to the step a
// branch names for the value of Field, or to the extension named by the
// answer's field Extension (rung as a ring step of that one extension
// would be). A timeout, an error or an answer that matches nothing goes to
// Fallback.
type Query struct {
	Client string `yaml:"client"`
	// Timeout bounds the request; default 3s.
	Timeout time.Duration `yaml:"timeout,omitempty"`
	// Field and Branches: answer field → value → step ID.
	Field    string            `yaml:"field,omitempty"`
	Branches map[string]string `yaml:"branches,omitempty"`
	// Extension is the answer field that names an extension to ring.
	Extension string `yaml:"extension,omitempty"`
	// RingTimeout for the extension the answer names; default 20s.
	RingTimeout time.Duration `yaml:"ring_timeout,omitempty"`
	Fallback    string        `yaml:"fallback"`
}

// Menu plays a prompt and collects one key: the choice for that key is
// next. No key within Timeout or a key with no choice replays the prompt,
// at most Retries more times, then goes to Fallback. Keys pressed
// accumulate in the call's ivr_digits ("1,2").
type Menu struct {
	// Prompt is an Asterisk sound name (e.g. "beep", "custom/welcome").
	Prompt string `yaml:"prompt"`
	// Timeout waits for a key after the prompt; default 5s.
	Timeout time.Duration `yaml:"timeout,omitempty"`
	Retries int           `yaml:"retries,omitempty"`
	// Choices: key (0-9, *, #) → step ID.
	Choices  map[string]string `yaml:"choices"`
	Fallback string            `yaml:"fallback,omitempty"`
}

// Tag adds tags to the call's custom_field (comma-joined, in order, each
// once).
type Tag struct {
	Tags []string `yaml:"tags"`
}

// Ring rings one extension or a group, honouring each extension's forwards
// (the VIPeX call forwards in AstDB). Answered: the call ends when the
// bridged call ends. Busy, Unavailable and NoAnswer are exits; an exit
// that is not named goes to the step's Next.
type Ring struct {
	Extensions []string `yaml:"extensions"`
	// Strategy: "all" rings them together (default), "order" one after
	// another, each for Timeout.
	Strategy string `yaml:"strategy,omitempty"`
	// Timeout is the ring time (per extension with "order"); default 20s.
	Timeout     time.Duration `yaml:"timeout,omitempty"`
	Busy        string        `yaml:"busy,omitempty"`
	Unavailable string        `yaml:"unavailable,omitempty"`
	NoAnswer    string        `yaml:"noanswer,omitempty"`
}

// Queue hands the caller to an app_queue queue (the call is a
// call-centre call: cc_call 1). Timeout, or a queue that cannot take the
// call, goes to Exit (or Next).
type Queue struct {
	Name string `yaml:"name"`
	// Timeout is the most the caller waits in the queue; default 60s.
	Timeout time.Duration `yaml:"timeout,omitempty"`
	Exit    string        `yaml:"exit,omitempty"`
}

// Voicemail lets the caller leave a message in a mailbox (app_voicemail);
// the flow ends there.
type Voicemail struct {
	Box string `yaml:"box"`
}

// Playback plays sounds in order.
type Playback struct {
	Sounds []string `yaml:"sounds"`
}

// SayDigits reads out digits (0-9, *, #) in the flow's language, or
// Language (en, hu) when set. Digits "${caller}" reads the caller's number.
type SayDigits struct {
	Digits   string `yaml:"digits"`
	Language string `yaml:"language,omitempty"`
}

// Goto goes on in another flow (from its first step), or at a step of
// this one.
type Goto struct {
	Flow string `yaml:"flow,omitempty"`
	Step string `yaml:"step,omitempty"`
}

// Hangup ends the call with a Q.850 cause (default 16, normal clearing).
type Hangup struct {
	Cause int `yaml:"cause,omitempty"`
}
