package callflow

import (
	"context"
	"errors"
	"path"
	"strconv"

	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrstore"
	"github.com/callctl/callctl/recording"
	"github.com/callctl/callctl/store"
)

// MoveRecordRequest moves (and may rename) the recording of a finished call.
type MoveRecordRequest struct {
	CDRID    string // the main record's or a sub-record's id
	Filename string // new file name; "" keeps it
	Path     string // new directory; "" keeps it
}

// MoveRecord moves a call's recording inside the recording roots and makes
// its record point at the new path.
func (s *Service) MoveRecord(ctx context.Context, r MoveRecordRequest) error {
	if r.CDRID == "" {
		return missing("cdrId")
	}
	if r.Filename == "" && r.Path == "" {
		return missing("filename")
	}
	id, err := strconv.ParseUint(r.CDRID, 10, 64)
	if err != nil || id == 0 {
		return &Error{Kind: KindCDRNotFound, Param: "cdrId", Detail: "cdr not found"}
	}
	var rec cdr.Record
	var found bool
	if err := s.db.View(func(tx *store.Tx) error {
		rec, found, err = cdrstore.Get(tx, id)
		return err
	}); err != nil {
		return &Error{Kind: KindAsterisk, Detail: "reading the cdr: " + err.Error(), Err: err}
	}
	if !found {
		return &Error{Kind: KindCDRNotFound, Param: "cdrId", Detail: "cdr " + r.CDRID + " not found"}
	}
	src := rec.RecordingPath
	for _, l := range rec.Legs {
		if l.ID == id && l.RecordingPath != "" {
			src = l.RecordingPath
		}
	}
	if src == "" {
		return &Error{Kind: KindNoRecording, Param: "cdrId", Detail: "cdr " + r.CDRID + " has no recording"}
	}
	dest := path.Join(orDefault(r.Path, path.Dir(src)), orDefault(r.Filename, path.Base(src)))
	moved, err := s.recordings.Move(src, r.Path, r.Filename)
	switch {
	case err == nil:
	case errors.Is(err, recording.ErrBadName):
		return invalid("filename", "%v", err)
	case errors.Is(err, recording.ErrSourceUnreadable):
		return &Error{Kind: KindSourceUnreadable, Actual: src, Detail: err.Error(), Err: err}
	case errors.Is(err, recording.ErrMkdir):
		return &Error{Kind: KindMkdir, Requested: dest, Detail: err.Error(), Err: err}
	default: // outside the roots, destination exists, permission, copy failure
		return &Error{Kind: KindMoveFailed, Requested: dest, Detail: err.Error(), Err: err}
	}
	// The record follows its file.
	err = s.db.Update(func(tx *store.Tx) error {
		rec, found, err := cdrstore.Get(tx, id)
		if err != nil || !found {
			return err
		}
		if rec.RecordingPath == src {
			rec.RecordingPath, rec.MonitorFileName = moved, path.Base(moved)
		}
		for i := range rec.Legs {
			if rec.Legs[i].RecordingPath == src {
				rec.Legs[i].RecordingPath, rec.Legs[i].MonitorFileName = moved, path.Base(moved)
			}
		}
		return cdrstore.Put(tx, &rec)
	})
	if err != nil {
		// The file moved but the record still names the old path: say so loudly.
		s.log.Error().Err(err).Str("from", src).Str("to", moved).Uint64("cdr", rec.ID).Msg("recording moved but its record not updated")
		return &Error{Kind: KindAsterisk, Detail: "updating the cdr: " + err.Error(), Err: err}
	}
	s.log.Info().Str("from", src).Str("to", moved).Uint64("cdr", rec.ID).Msg("recording moved")
	return nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
