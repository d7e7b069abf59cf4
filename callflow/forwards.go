package callflow

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/store"
)

// Forwards are the call forwards of the lines. Each is stored, and
// written to Asterisk's database (AstDB family astdbForwards, key
// <line>/<type>) where the shipped dialplan (callctl-vipex-dial in
// extensions_vipex.conf) reads it whenever the line is called: forwards
// hold while callctl is down. Resync writes them all again.
type Forwards struct{ *env }

// astdbForwards is the AstDB family of the forwards.
const astdbForwards = "callctl-forward"

// Forward types, destination types and call types.
var (
	forwardTypes     = []string{"immediate", "busy", "unavailable", "noanswer"}
	destinationTypes = []string{"voicemail", "exten", "phonenumber"}
	callTypes        = []string{"all", "internal", "external"}
)

// DefaultNoAnswerTimeout is a noanswer forward's ring time when none is
// given (s).
const DefaultNoAnswerTimeout = 30

// Forward is a call forward of a line.
type Forward struct {
	// Number is the line forwarded: its internal or public number, as
	// the request named it; the forward is the line's.
	Number string `json:"number"`
	// Type: immediate, busy, unavailable or noanswer.
	Type string `json:"forward_type"`
	// DestinationType: voicemail, exten or phonenumber.
	DestinationType string `json:"destination_type"`
	// Destination: a voicemail box (default the line's own), a line's
	// number, or a telephone number (dialled through the first outbound
	// route).
	Destination string `json:"destination_number"`
	// NoAnswerTimeout (s) of a noanswer forward: 1 to MaxRingTime.
	NoAnswerTimeout int `json:"noanswer_timeout,omitempty"`
	// CallType: all (default), internal or external calls.
	CallType string `json:"call_type"`
	// Since is when it was set (List's order).
	Since time.Time `json:"since"`
}

func oneOf(f Field, v string, allowed []string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return Invalid(f, "%s: one of %s", quote(v), strings.Join(allowed, ", "))
}

// forwardedLine is the line a forward's number names.
func (s *Forwards) forwardedLine(number string) (pbx.Extension, error) {
	if number == "" {
		return pbx.Extension{}, Missing(FieldSource)
	}
	e, err := s.findLine(LineSelector{InternalNumber: number}, FieldSource, FieldSourceDialplan)
	var ce *Error
	if err == nil || !errors.As(err, &ce) || ce.Kind != KindNotFound {
		return e, err
	}
	return s.findLine(LineSelector{PublicNumber: number}, FieldSource, FieldSourceDialplan)
}

func forwardKey(line, typ string) []byte { return []byte(line + "/" + typ) }

// astdbValue is what the dialplan reads: call type, what to do (dial or
// voicemail), the target and the ring time, separated by |.
func (s *Forwards) astdbValue(f Forward, line pbx.Extension) (string, error) {
	timeout := f.NoAnswerTimeout
	if timeout == 0 {
		timeout = DefaultNoAnswerTimeout
	}
	switch f.DestinationType {
	case "voicemail":
		return f.CallType + "|voicemail|" + f.Destination + "|" + strconv.Itoa(timeout), nil
	case "exten":
		dst, err := s.findLine(LineSelector{InternalNumber: f.Destination}, FieldTarget, FieldTargetDialplan)
		if err != nil {
			return "", err
		}
		return f.CallType + "|dial|" + dst.Endpoint() + "|" + strconv.Itoa(timeout), nil
	}
	routes := s.Directory.Config().OutRoutes
	if len(routes) == 0 {
		return "", &Error{Kind: KindNotFound, Field: FieldOutRoute, Detail: "no outbound route for a forward to a telephone number"}
	}
	return f.CallType + "|dial|" + routes[0].DialString(f.Destination) + "|" + strconv.Itoa(timeout), nil
}

// Set saves a forward (one per line and type: a new one replaces it) and
// writes it to AstDB.
func (s *Forwards) Set(ctx context.Context, f Forward) error {
	line, err := s.forwardedLine(f.Number)
	if err != nil {
		return err
	}
	if f.Type == "" {
		return Missing(FieldForwardType)
	}
	if err := oneOf(FieldForwardType, f.Type, forwardTypes); err != nil {
		return err
	}
	if f.DestinationType == "" {
		return Missing(FieldDestinationType)
	}
	if err := oneOf(FieldDestinationType, f.DestinationType, destinationTypes); err != nil {
		return err
	}
	if f.CallType == "" {
		f.CallType = "all"
	}
	if err := oneOf(FieldCallType, f.CallType, callTypes); err != nil {
		return err
	}
	switch {
	case f.DestinationType == "voicemail" && f.Destination == "":
		f.Destination = line.Number // a line's own box
	case f.Destination == "":
		return Missing(FieldDestination)
	}
	if err := checkNumber(FieldDestination, f.Destination); err != nil {
		return err
	}
	if f.Type == "noanswer" {
		if f.NoAnswerTimeout == 0 {
			f.NoAnswerTimeout = DefaultNoAnswerTimeout
		}
		if f.NoAnswerTimeout < 1 || f.NoAnswerTimeout > int(MaxRingTime.Seconds()) {
			return Invalid(FieldDestinationRing, "%d: 1 to %d seconds", f.NoAnswerTimeout, int(MaxRingTime.Seconds()))
		}
	} else {
		f.NoAnswerTimeout = 0
	}
	value, err := s.astdbValue(f, line)
	if err != nil {
		return err
	}
	if err := s.dbPut(ctx, line.Number+"/"+f.Type, value); err != nil {
		return err
	}
	f.Since = s.now()
	if err := s.DB.Update(func(tx *store.Tx) error {
		return tx.PutJSON(store.BucketForwards, forwardKey(line.Number, f.Type), f)
	}); err != nil {
		return unavailable("saving the forward", err)
	}
	s.log.Info().Str("line", line.Number).Str("type", f.Type).Str("to", f.Destination).Msg("call forward set")
	return nil
}

// List returns a line's forwards, in the order they were set.
func (s *Forwards) List(ctx context.Context, number string) ([]Forward, error) {
	line, err := s.forwardedLine(number)
	if err != nil {
		return nil, err
	}
	out := []Forward{}
	err = s.DB.View(func(tx *store.Tx) error {
		for _, t := range forwardTypes {
			var f Forward
			found, err := tx.GetJSON(store.BucketForwards, forwardKey(line.Number, t), &f)
			if err != nil {
				return err
			}
			if found {
				out = append(out, f)
			}
		}
		return nil
	})
	if err != nil {
		return nil, unavailable("reading the forwards", err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Since.Before(out[j].Since) })
	return out, nil
}

// Delete removes a line's forward of a type (NotFound when it has none).
func (s *Forwards) Delete(ctx context.Context, number, typ string) error {
	line, err := s.forwardedLine(number)
	if err != nil {
		return err
	}
	if typ == "" {
		return Missing(FieldForwardType)
	}
	if err := oneOf(FieldForwardType, typ, forwardTypes); err != nil {
		return err
	}
	var found bool
	if err := s.DB.View(func(tx *store.Tx) error {
		v, err := tx.Get(store.BucketForwards, forwardKey(line.Number, typ))
		found = v != nil
		return err
	}); err != nil {
		return unavailable("reading the forwards", err)
	}
	if !found {
		return NotFound(FieldForwardType, typ)
	}
	actx, cancel := s.ctx(ctx)
	defer cancel()
	_, err = s.AMI.Action(actx, ami.Action{Name: "DBDel", Headers: map[string]string{"Family": astdbForwards, "Key": line.Number + "/" + typ}})
	var re *ami.ResponseError
	if err != nil && !errors.As(err, &re) { // not in AstDB: nothing to remove there
		return amiError("removing the forward", err)
	}
	if err := s.DB.Update(func(tx *store.Tx) error {
		return tx.Delete(store.BucketForwards, forwardKey(line.Number, typ))
	}); err != nil {
		return unavailable("removing the forward", err)
	}
	return nil
}

func (s *Forwards) dbPut(ctx context.Context, key, value string) error {
	actx, cancel := s.ctx(ctx)
	defer cancel()
	if _, err := s.AMI.Action(actx, ami.Action{Name: "DBPut", Headers: map[string]string{"Family": astdbForwards, "Key": key, "Val": value}}); err != nil {
		return amiError("writing the forward", err)
	}
	return nil
}

// Resync makes AstDB hold exactly the stored forwards (at start: Asterisk
// may have been reset, or forwards deleted while callctl was down).
func (s *Forwards) Resync(ctx context.Context) error {
	var all []Forward
	if err := s.DB.View(func(tx *store.Tx) error {
		return tx.Scan(store.BucketForwards, nil, nil, func(k, v []byte) (bool, error) {
			var f Forward
			if err := json.Unmarshal(v, &f); err != nil {
				return false, err
			}
			all = append(all, f)
			return true, nil
		})
	}); err != nil {
		return unavailable("reading the forwards", err)
	}
	actx, cancel := s.ctx(ctx)
	_, err := s.AMI.Action(actx, ami.Action{Name: "DBDelTree", Headers: map[string]string{"Family": astdbForwards}})
	cancel()
	var re *ami.ResponseError
	if err != nil && !errors.As(err, &re) { // an empty family answers an error
		return amiError("clearing the forwards", err)
	}
	for _, f := range all {
		line, err := s.forwardedLine(f.Number)
		if err != nil {
			s.log.Warn().Str("number", f.Number).Msg("a stored forward's line is no longer configured: not written to AstDB")
			continue
		}
		value, err := s.astdbValue(f, line)
		if err != nil {
			s.log.Warn().Str("number", f.Number).Err(err).Msg("a stored forward cannot be written to AstDB")
			continue
		}
		if err := s.dbPut(ctx, line.Number+"/"+f.Type, value); err != nil {
			return err
		}
	}
	s.log.Info().Int("forwards", len(all)).Msg("call forwards written to AstDB")
	return nil
}
