package flow

import (
	"errors"
	"fmt"
	"strings"
)

// Errors. A flow that cannot be decoded or does not validate is an *Error,
// which matches ErrInvalid (errors.Is).
var (
	// ErrInvalid: the flow is not a valid flow (Decode, Validate, Set).
	ErrInvalid = errors.New("flow: invalid")
	// ErrNotFound: no flow of that name (Delete, the admin commands).
	ErrNotFound = errors.New("flow: no such flow")
	// ErrInUse: another flow's goto names the flow, or a DID of pbx.dids
	// runs it (Delete).
	ErrInUse = errors.New("flow: in use")
)

// Problem is one thing wrong with a flow, at its place.
type Problem struct {
	// Line is the line of the input (a decoding problem), else 0.
	Line int
	// Step is the index of the step in steps, or -1 for the flow's own
	// keys (name, exten, language, default, steps).
	Step int
	// ID is the step's id (when it has one).
	ID string
	// Field is the key the problem is in, as written in the flow language
	// ("menu.choices[\"3\"]", "ring.extensions[1]"); empty for the step
	// as a whole.
	Field string
	// Message says what is wrong.
	Message string
}

// String is the problem with its place, e.g.
// steps[2] (id "menu1"): menu.choices["3"]: unknown step "foo".
func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Step >= 0 && p.Line == 0 {
		fmt.Fprintf(&b, "steps[%d]", p.Step)
		if p.ID != "" {
			fmt.Fprintf(&b, " (id %q)", p.ID)
		}
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Error is a flow refused, with every problem found in it, in the order
// of the flow (the flow's own keys first, then step by step).
type Error struct {
	// Flow is the flow's name as given (may be empty or itself wrong).
	Flow     string
	Problems []Problem
}

// Error is one line per problem, each naming the flow and the place:
//
//	flow "x": steps[2] (id "menu1"): menu.choices["3"]: unknown step "foo"
func (e *Error) Error() string {
	head := "flow"
	if e.Flow != "" {
		head = fmt.Sprintf("flow %q", e.Flow)
	}
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = head + ": " + p.String()
	}
	if len(lines) == 0 {
		return head + ": invalid"
	}
	return strings.Join(lines, "\n")
}

// Is makes an *Error match ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }
