package flow

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Catalog is what a flow may name outside itself: Validate asks it about
// every extension, queue, client and flow a flow names.
type Catalog interface {
	// Extension reports whether number is an extension (a line's
	// internal number) of the PBX.
	Extension(number string) bool
	// Queue reports whether the PBX has the app_queue queue name.
	Queue(name string) bool
	// Client reports whether there is an outbound API client called name
	// of kind ("call_notify" or "data_query").
	Client(name, kind string) bool
	// Flow reports whether a flow called name is stored.
	Flow(name string) bool
}

// Client kinds a flow's steps use.
const (
	KindCallNotify = "call_notify"
	KindDataQuery  = "data_query"
)

// Limits and bounds Validate enforces. A duration left out (or 0) is the
// step's default.
const (
	MaxNameLen = 64  // bytes of a flow's name, a step's id
	MaxSteps   = 256 // steps of a flow
	MaxRetries = 9   // menu.retries
	MaxSounds  = 32  // playback.sounds
	MaxTags    = 32  // tag.tags

	MinQueryTimeout = 100 * time.Millisecond
	MaxQueryTimeout = 30 * time.Second
	MinRingTimeout  = time.Second
	MaxRingTimeout  = 10 * time.Minute
	MinMenuTimeout  = time.Second
	MaxMenuTimeout  = time.Minute
	MinQueueTimeout = time.Second
	MaxQueueTimeout = 2 * time.Hour
)

// Defaults of the steps (what the executor uses for a value left out).
const (
	DefaultLanguage     = "en"
	DefaultQueryTimeout = 3 * time.Second
	DefaultRingTimeout  = 20 * time.Second
	DefaultMenuTimeout  = 5 * time.Second
	DefaultQueueTimeout = 60 * time.Second
	DefaultHangupCause  = 16
)

// Caller is the say_digits value that reads out the caller's number.
const Caller = "${caller}"

var (
	nameRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	extenRE  = regexp.MustCompile(`^[0-9*#]{1,32}$`)
	soundRE  = regexp.MustCompile(`^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$`)
	digitsRE = regexp.MustCompile(`^[0-9*#]{1,64}$`)
	tagRE    = regexp.MustCompile(`^[\p{L}\p{N}_.:/+-]{1,64}$`)
	fieldRE  = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	boxRE    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}(@[A-Za-z0-9_-]{1,64})?$`)
	keyRE    = regexp.MustCompile(`^[0-9*#]$`)
)

// CheckName validates a flow's name: 1 to 64 of letters, digits, _ . -,
// starting with a letter or digit.
func CheckName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("%w: name %q: 1 to %d of A-Z a-z 0-9 _ . -, starting with a letter or digit", ErrInvalid, name, MaxNameLen)
	}
	return nil
}

// Kinds returns the kinds set in s, in the order of the flow language
// (notify, query, menu, tag, ring, queue, voicemail, playback,
// say_digits, goto, hangup); a valid step has exactly one.
func (s Step) Kinds() []string {
	var k []string
	for _, c := range []struct {
		name string
		set  bool
	}{
		{"notify", s.Notify != nil}, {"query", s.Query != nil}, {"menu", s.Menu != nil}, {"tag", s.Tag != nil},
		{"ring", s.Ring != nil}, {"queue", s.Queue != nil}, {"voicemail", s.Voicemail != nil},
		{"playback", s.Playback != nil}, {"say_digits", s.SayDigits != nil}, {"goto", s.Goto != nil},
		{"hangup", s.Hangup != nil},
	} {
		if c.set {
			k = append(k, c.name)
		}
	}
	return k
}

// Kind is the step's kind ("" unless exactly one is set).
func (s Step) Kind() string {
	if k := s.Kinds(); len(k) == 1 {
		return k[0]
	}
	return ""
}

// waits reports whether a step of kind waits for the caller (or ends the
// flow): a cycle through one of these is not a loop without an exit.
func waits(kind string) bool {
	switch kind {
	case "notify", "tag", "playback", "say_digits", "goto":
		return false
	}
	return true
}

// Ref is a step reference a step makes: Field is its key, To the step id.
type Ref struct {
	Field string
	To    string
}

// Refs returns every step the step may go to, with the key naming it, in
// a fixed order (map keys sorted): next, then the kind's exits.
func (s Step) Refs() []Ref {
	var r []Ref
	add := func(field, to string) {
		if to != "" {
			r = append(r, Ref{field, to})
		}
	}
	add("next", s.Next)
	switch {
	case s.Query != nil:
		for _, k := range sortedKeys(s.Query.Branches) {
			add(fmt.Sprintf("query.branches[%q]", k), s.Query.Branches[k])
		}
		add("query.fallback", s.Query.Fallback)
	case s.Menu != nil:
		for _, k := range sortedKeys(s.Menu.Choices) {
			add(fmt.Sprintf("menu.choices[%q]", k), s.Menu.Choices[k])
		}
		add("menu.fallback", s.Menu.Fallback)
	case s.Ring != nil:
		add("ring.busy", s.Ring.Busy)
		add("ring.unavailable", s.Ring.Unavailable)
		add("ring.noanswer", s.Ring.NoAnswer)
	case s.Queue != nil:
		add("queue.exit", s.Queue.Exit)
	case s.Goto != nil:
		add("goto.step", s.Goto.Step)
	}
	return r
}

func sortedKeys(m map[string]string) []string {
	k := make([]string, 0, len(m))
	for key := range m {
		k = append(k, key)
	}
	slices.Sort(k)
	return k
}

// checker collects the problems of one flow.
type checker struct {
	problems []Problem
}

func (c *checker) add(step int, id, field, format string, a ...any) {
	c.problems = append(c.problems, Problem{Step: step, ID: id, Field: field, Message: fmt.Sprintf(format, a...)})
}

// Validate checks f against the language's rules and what c knows, and
// returns an *Error listing every problem with its place (nil: f is a
// valid flow). The rules are README's "Call flows: validation".
func Validate(f Flow, c Catalog) error {
	ck := &checker{}
	ck.flow(f, c)
	if len(ck.problems) == 0 {
		return nil
	}
	return &Error{Flow: f.Name, Problems: ck.problems}
}

func (ck *checker) flow(f Flow, c Catalog) {
	top := func(field, format string, a ...any) { ck.add(-1, "", field, format, a...) }
	switch {
	case f.Name == "":
		top("name", "required")
	case !nameRE.MatchString(f.Name):
		top("name", "%q: 1 to %d of A-Z a-z 0-9 _ . -, starting with a letter or digit", f.Name, MaxNameLen)
	}
	if f.Exten != "" {
		switch {
		case !extenRE.MatchString(f.Exten):
			top("exten", "%q: 1 to 32 of 0-9 * #", f.Exten)
		case c.Extension(f.Exten):
			top("exten", "%q is an extension of the PBX: a flow's technical extension must be a number of its own", f.Exten)
		}
	}
	ck.language(-1, "", "language", f.Language)
	if len(f.Steps) == 0 {
		top("steps", "required: a flow has at least one step")
		return
	}
	if len(f.Steps) > MaxSteps {
		top("steps", "%d steps: at most %d", len(f.Steps), MaxSteps)
		return
	}
	ids := map[string]int{} // id → index of its first step
	for i, s := range f.Steps {
		switch {
		case s.ID == "":
			ck.add(i, "", "id", "required")
		case !nameRE.MatchString(s.ID):
			ck.add(i, s.ID, "id", "1 to %d of A-Z a-z 0-9 _ . -, starting with a letter or digit", MaxNameLen)
		}
		if j, dup := ids[s.ID]; dup && s.ID != "" {
			ck.add(i, s.ID, "id", "also the id of steps[%d]: ids are unique", j)
		} else if s.ID != "" {
			ids[s.ID] = i
		}
	}
	if f.Default != "" {
		if _, ok := ids[f.Default]; !ok {
			top("default", "unknown step %q", f.Default)
		}
	}
	// The flow's own problems come first, then the steps'.
	for i, s := range f.Steps {
		ck.step(f, i, s, ids, c)
	}
	ck.reach(f, ids)
	ck.loops(f, ids)
	// Each step's problems together, in the order of the steps.
	slices.SortStableFunc(ck.problems, func(a, b Problem) int { return a.Step - b.Step })
}

func (ck *checker) language(i int, id, field, lang string) {
	if lang != "" && lang != "en" && lang != "hu" {
		ck.add(i, id, field, "%q: en or hu", lang)
	}
}

func (ck *checker) duration(i int, id, field string, d, min, max time.Duration) {
	if d != 0 && (d < min || d > max) {
		ck.add(i, id, field, "%v: from %v to %v (left out: the default)", d, min, max)
	}
}

func (ck *checker) sound(i int, id, field, s string) {
	switch {
	case s == "":
		ck.add(i, id, field, "required: an Asterisk sound name, e.g. \"beep\" or \"custom/welcome\"")
	case len(s) > 128 || !soundRE.MatchString(s):
		ck.add(i, id, field, "%q: an Asterisk sound name (A-Z a-z 0-9 _ - in parts separated by /, no extension)", s)
	}
}

func (ck *checker) step(f Flow, i int, s Step, ids map[string]int, c Catalog) {
	add := func(field, format string, a ...any) { ck.add(i, s.ID, field, format, a...) }
	for _, r := range s.Refs() {
		if _, ok := ids[r.To]; !ok {
			add(r.Field, "unknown step %q", r.To)
		}
	}
	kinds := s.Kinds()
	switch len(kinds) {
	case 0:
		add("", "no kind: a step is one of notify, query, menu, tag, ring, queue, voicemail, playback, say_digits, goto, hangup")
		return
	case 1:
	default:
		add("", "%d kinds (%s): a step is exactly one", len(kinds), strings.Join(kinds, ", "))
		return
	}
	kind := kinds[0]
	if s.Record && kind != "ring" && kind != "queue" {
		add("record", "only a ring or queue step records (this is a %s step)", kind)
	}
	if s.Next != "" && (kind == "voicemail" || kind == "goto" || kind == "hangup") {
		add("next", "a %s step does not go on: next has no use", kind)
	}
	switch kind {
	case "notify":
		ck.client(i, s.ID, "notify.client", s.Notify.Client, KindCallNotify, c)
	case "query":
		q := s.Query
		ck.client(i, s.ID, "query.client", q.Client, KindDataQuery, c)
		ck.duration(i, s.ID, "query.timeout", q.Timeout, MinQueryTimeout, MaxQueryTimeout)
		ck.duration(i, s.ID, "query.ring_timeout", q.RingTimeout, MinRingTimeout, MaxRingTimeout)
		if q.Field == "" && len(q.Branches) == 0 && q.Extension == "" {
			add("query", "routes nowhere: give field and branches, or extension (or both)")
		}
		if q.Field != "" && !fieldRE.MatchString(q.Field) {
			add("query.field", "%q: an answer field's name, 1 to 64 of A-Z a-z 0-9 _ . -", q.Field)
		}
		if q.Field != "" && len(q.Branches) == 0 {
			add("query.branches", "required with field: answer value → step")
		}
		if q.Field == "" && len(q.Branches) > 0 {
			add("query.field", "required with branches: the answer field they match")
		}
		for _, k := range sortedKeys(q.Branches) {
			if k == "" || len(k) > 128 {
				add(fmt.Sprintf("query.branches[%q]", k), "a value of 1 to 128 bytes")
			}
		}
		if q.Extension != "" && !fieldRE.MatchString(q.Extension) {
			add("query.extension", "%q: an answer field's name, 1 to 64 of A-Z a-z 0-9 _ . -", q.Extension)
		}
		if q.Extension == "" && q.RingTimeout != 0 {
			add("query.ring_timeout", "only with extension")
		}
		if q.Fallback == "" {
			add("query.fallback", "required: where a timeout, an error or an answer that matches nothing goes")
		}
	case "menu":
		m := s.Menu
		ck.sound(i, s.ID, "menu.prompt", m.Prompt)
		ck.duration(i, s.ID, "menu.timeout", m.Timeout, MinMenuTimeout, MaxMenuTimeout)
		if m.Retries < 0 || m.Retries > MaxRetries {
			add("menu.retries", "%d: from 0 to %d", m.Retries, MaxRetries)
		}
		if len(m.Choices) == 0 {
			add("menu.choices", "required: key → step")
		}
		for _, k := range sortedKeys(m.Choices) {
			if !keyRE.MatchString(k) {
				add(fmt.Sprintf("menu.choices[%q]", k), "a key is one of 0-9 * # (quote \"*\" and \"#\" in YAML)")
			}
		}
	case "tag":
		if len(s.Tag.Tags) == 0 {
			add("tag.tags", "required: at least one tag")
		}
		if len(s.Tag.Tags) > MaxTags {
			add("tag.tags", "%d tags: at most %d", len(s.Tag.Tags), MaxTags)
		}
		for j, t := range s.Tag.Tags {
			field := fmt.Sprintf("tag.tags[%d]", j)
			switch {
			case !tagRE.MatchString(t):
				add(field, "%q: 1 to 64 of letters, digits, _ . : / + - (no commas, no spaces)", t)
			case slices.Index(s.Tag.Tags, t) < j:
				add(field, "%q given twice", t)
			}
		}
	case "ring":
		r := s.Ring
		if len(r.Extensions) == 0 {
			add("ring.extensions", "required: at least one extension")
		}
		for j, e := range r.Extensions {
			field := fmt.Sprintf("ring.extensions[%d]", j)
			switch {
			case e == "":
				add(field, "empty")
			case slices.Index(r.Extensions, e) < j:
				add(field, "%q given twice", e)
			case !c.Extension(e):
				add(field, "unknown extension %q", e)
			}
		}
		if r.Strategy != "" && r.Strategy != "all" && r.Strategy != "order" {
			add("ring.strategy", "%q: all or order", r.Strategy)
		}
		ck.duration(i, s.ID, "ring.timeout", r.Timeout, MinRingTimeout, MaxRingTimeout)
	case "queue":
		q := s.Queue
		switch {
		case q.Name == "":
			add("queue.name", "required")
		case !c.Queue(q.Name):
			add("queue.name", "unknown queue %q", q.Name)
		}
		ck.duration(i, s.ID, "queue.timeout", q.Timeout, MinQueueTimeout, MaxQueueTimeout)
	case "voicemail":
		switch b := s.Voicemail.Box; {
		case b == "":
			add("voicemail.box", "required: a mailbox, e.g. \"1001\" or \"1001@default\"")
		case !boxRE.MatchString(b):
			add("voicemail.box", "%q: a mailbox, e.g. \"1001\" or \"1001@default\"", b)
		}
	case "playback":
		if len(s.Playback.Sounds) == 0 {
			add("playback.sounds", "required: at least one sound")
		}
		if len(s.Playback.Sounds) > MaxSounds {
			add("playback.sounds", "%d sounds: at most %d", len(s.Playback.Sounds), MaxSounds)
		}
		for j, snd := range s.Playback.Sounds {
			ck.sound(i, s.ID, fmt.Sprintf("playback.sounds[%d]", j), snd)
		}
	case "say_digits":
		d := s.SayDigits
		switch {
		case d.Digits == "":
			add("say_digits.digits", "required: digits (0-9 * #) or %q", Caller)
		case d.Digits != Caller && !digitsRE.MatchString(d.Digits):
			add("say_digits.digits", "%q: 1 to 64 of 0-9 * #, or %q", d.Digits, Caller)
		}
		ck.language(i, s.ID, "say_digits.language", d.Language)
	case "goto":
		g := s.Goto
		switch {
		case g.Flow == "" && g.Step == "":
			add("goto", "give flow or step")
		case g.Flow != "" && g.Step != "":
			add("goto", "give flow or step, not both")
		case g.Flow != "" && !nameRE.MatchString(g.Flow):
			add("goto.flow", "%q is not a flow name", g.Flow)
		case g.Flow != "" && g.Flow != f.Name && !c.Flow(g.Flow):
			add("goto.flow", "unknown flow %q", g.Flow)
		}
	case "hangup":
		if c := s.Hangup.Cause; c != 0 && (c < 1 || c > 127) {
			add("hangup.cause", "%d: a Q.850 cause from 1 to 127 (left out: %d)", c, DefaultHangupCause)
		}
	}
}

func (ck *checker) client(i int, id, field, name, kind string, c Catalog) {
	switch {
	case name == "":
		ck.add(i, id, field, "required: a %s client's name", kind)
	case !c.Client(name, kind):
		ck.add(i, id, field, "unknown %s client %q", kind, name)
	}
}

// reach reports the steps no path from steps[0] or the default leads to.
func (ck *checker) reach(f Flow, ids map[string]int) {
	seen := make([]bool, len(f.Steps))
	var visit func(i int)
	visit = func(i int) {
		if seen[i] {
			return
		}
		seen[i] = true
		for _, r := range f.Steps[i].Refs() {
			if j, ok := ids[r.To]; ok {
				visit(j)
			}
		}
	}
	visit(0)
	if j, ok := ids[f.Default]; ok {
		visit(j)
	}
	for i, s := range f.Steps {
		if !seen[i] {
			ck.add(i, s.ID, "", "unreachable: no step leads here, nor is it the flow's default")
		}
	}
}

// loops reports each cycle made only of steps that do not wait for the
// caller (notify, tag, playback, say_digits, goto): such a step has one
// way on, so the cycle would spin until the executor's step budget ends.
// It is reported at its first step. A goto of the flow itself goes to its
// first step; cycles through other flows are Set's (entryGoto).
func (ck *checker) loops(f Flow, ids map[string]int) {
	next := func(i int) int {
		s := f.Steps[i]
		if !waits(s.Kind()) {
			to := s.Next
			if s.Goto != nil {
				to = s.Goto.Step
				if s.Goto.Flow == f.Name && s.Goto.Step == "" {
					to = f.Steps[0].ID // the flow again, from its first step
				}
			}
			if j, ok := ids[to]; ok && !waits(f.Steps[j].Kind()) {
				return j
			}
		}
		return -1
	}
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(f.Steps))
	for start := range f.Steps {
		if color[start] != white || waits(f.Steps[start].Kind()) {
			continue
		}
		var path []int
		i := start
		for i >= 0 && color[i] == white {
			color[i] = grey
			path = append(path, i)
			i = next(i)
		}
		if i >= 0 && color[i] == grey {
			// A new cycle: from i to the end of the path.
			cyc := path[slices.Index(path, i):]
			first := slices.Min(cyc)
			k := slices.Index(cyc, first)
			cyc = slices.Concat(cyc[k:], cyc[:k])
			names := make([]string, 0, len(cyc)+1)
			for _, j := range cyc {
				names = append(names, f.Steps[j].ID)
			}
			names = append(names, f.Steps[first].ID)
			ck.add(first, f.Steps[first].ID, "", "a loop without an exit: %s; none of its steps waits for the caller (put a menu, ring, queue or query in it)",
				strings.Join(names, " → "))
		}
		for _, j := range path {
			color[j] = black
		}
	}
}

// entryGoto follows f from its first step while the steps do not wait
// for the caller, and returns the goto that leaves f for another flow
// there (its index, and the flow it names), or -1: a loop through other
// flows without an exit passes through such gotos only, since a goto of a
// flow goes to its first step.
func entryGoto(f Flow) (int, string) {
	ids := map[string]int{}
	for i, s := range f.Steps {
		if _, dup := ids[s.ID]; !dup {
			ids[s.ID] = i
		}
	}
	seen := map[int]bool{}
	for i := 0; i < len(f.Steps) && !seen[i]; {
		seen[i] = true
		s := f.Steps[i]
		if waits(s.Kind()) {
			return -1, ""
		}
		to := s.Next
		if s.Goto != nil {
			if s.Goto.Flow != "" && s.Goto.Flow != f.Name {
				return i, s.Goto.Flow
			}
			to = s.Goto.Step
		}
		j, ok := ids[to]
		if !ok {
			return -1, ""
		}
		i = j
	}
	return -1, ""
}
