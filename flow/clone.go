package flow

import (
	"maps"
	"slices"
)

// Clone returns a deep copy of f: nothing of it shares memory with f.
func (f Flow) Clone() Flow {
	f.Steps = slices.Clone(f.Steps)
	for i := range f.Steps {
		f.Steps[i] = f.Steps[i].clone()
	}
	return f
}

func (s Step) clone() Step {
	if s.Notify != nil {
		n := *s.Notify
		s.Notify = &n
	}
	if s.Query != nil {
		q := *s.Query
		q.Branches = maps.Clone(q.Branches)
		s.Query = &q
	}
	if s.Menu != nil {
		m := *s.Menu
		m.Choices = maps.Clone(m.Choices)
		s.Menu = &m
	}
	if s.Tag != nil {
		t := *s.Tag
		t.Tags = slices.Clone(t.Tags)
		s.Tag = &t
	}
	if s.Ring != nil {
		r := *s.Ring
		r.Extensions = slices.Clone(r.Extensions)
		s.Ring = &r
	}
	if s.Queue != nil {
		q := *s.Queue
		s.Queue = &q
	}
	if s.Voicemail != nil {
		v := *s.Voicemail
		s.Voicemail = &v
	}
	if s.Playback != nil {
		p := *s.Playback
		p.Sounds = slices.Clone(p.Sounds)
		s.Playback = &p
	}
	if s.SayDigits != nil {
		d := *s.SayDigits
		s.SayDigits = &d
	}
	if s.Goto != nil {
		g := *s.Goto
		s.Goto = &g
	}
	if s.Hangup != nil {
		h := *s.Hangup
		s.Hangup = &h
	}
	return s
}
