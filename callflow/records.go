package callflow

import (
	"context"
	"errors"
	"os"
	"path"
	"strconv"

	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrstore"
	"github.com/callctl/callctl/recording"
	"github.com/callctl/callctl/store"
)

// Recordings moves the recordings of finished calls.
type Recordings struct{ *env }

// MoveRecordingRequest moves (and may rename) the recording of a finished
// call.
type MoveRecordingRequest struct {
	// Record is the main record's or a sub-record's id; 0: not given;
	// BadID (any negative): names no record.
	Record int64
	File   string // the new file name; "" keeps it
	Dir    string // the new directory; "" keeps it
}

// Move moves a call's recording inside the recording roots and makes its
// record point at the new path.
func (s *Recordings) Move(ctx context.Context, r MoveRecordingRequest) error {
	if r.Record == 0 {
		return Missing(FieldRecord)
	}
	if r.File == "" && r.Dir == "" {
		return Missing(FieldRecordingFile)
	}
	if r.Record < 0 {
		return NotFound(FieldRecord, "")
	}
	id := uint64(r.Record)
	var rec cdr.Record
	var found bool
	if err := s.DB.View(func(tx *store.Tx) error {
		var err error
		rec, found, err = cdrstore.Get(tx, id)
		return err
	}); err != nil {
		return unavailable("reading the cdr", err)
	}
	if !found {
		return NotFound(FieldRecord, strconv.FormatUint(id, 10))
	}
	src := rec.RecordingPath
	for _, l := range rec.Legs {
		if l.ID == id && l.RecordingPath != "" {
			src = l.RecordingPath
		}
	}
	if src == "" {
		return &Error{Kind: KindNoRecording, Field: FieldRecord, Detail: "cdr " + strconv.FormatUint(id, 10) + " has no recording"}
	}
	dest := path.Join(orDefault(r.Dir, path.Dir(src)), orDefault(r.File, path.Base(src)))
	moved, err := s.Deps.Recordings.Move(src, r.Dir, r.File)
	switch {
	case err == nil:
	case errors.Is(err, recording.ErrBadName):
		return Invalid(FieldRecordingFile, "%v", err)
	case errors.Is(err, recording.ErrSourceUnreadable):
		return &Error{Kind: KindUnreadable, Field: FieldRecord, Actual: src, Detail: err.Error(), Err: err}
	case errors.Is(err, recording.ErrMkdir):
		return &Error{Kind: KindMkdir, Field: FieldRecordingDir, Requested: dest, Detail: err.Error(), Err: err}
	default: // outside the roots, destination exists, permission, copy failure
		return &Error{Kind: KindMoveFailed, Field: FieldRecordingDir, Requested: dest, Detail: err.Error(), Err: err}
	}
	// The record follows its file.
	err = s.DB.Update(func(tx *store.Tx) error {
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
		return unavailable("updating the cdr", err)
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

// RecordingFile is an open recording; the caller closes File.
type RecordingFile struct {
	Name string // the file's name, without its directory
	File *os.File
	Size int64
}

// Open opens the recording of a finished call: of its main record (legID
// 0) or of one of its sub-records.
func (s *Recordings) Open(ctx context.Context, recordID, legID uint64) (RecordingFile, error) {
	var rec cdr.Record
	var found bool
	if err := s.DB.View(func(tx *store.Tx) error {
		var err error
		rec, found, err = cdrstore.Get(tx, recordID)
		return err
	}); err != nil {
		return RecordingFile{}, unavailable("reading the cdr", err)
	}
	if !found {
		return RecordingFile{}, NotFound(FieldRecord, strconv.FormatUint(recordID, 10))
	}
	src := rec.RecordingPath
	if legID != 0 {
		src = ""
		for _, l := range rec.Legs {
			if l.ID == legID {
				src = l.RecordingPath
			}
		}
	}
	if src == "" {
		return RecordingFile{}, &Error{Kind: KindNoRecording, Field: FieldRecord, Detail: "the cdr has no recording"}
	}
	f, err := s.Deps.Recordings.Open(src)
	if err != nil {
		return RecordingFile{}, &Error{Kind: KindUnreadable, Field: FieldRecord, Actual: src, Detail: err.Error(), Err: err}
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return RecordingFile{}, &Error{Kind: KindUnreadable, Field: FieldRecord, Actual: src, Detail: err.Error(), Err: err}
	}
	return RecordingFile{Name: path.Base(src), File: f, Size: st.Size()}, nil
}
