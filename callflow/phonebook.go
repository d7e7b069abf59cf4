package callflow

import (
	"context"
	"errors"
	"strings"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/phonebook"
)

// Phonebook is the PBX's phonebook. Each entry's name is also written to
// AstDB (family astdbCallerNames, key: the number), where the shipped
// dialplan looks up the caller name of inbound calls.
type Phonebook struct{ *env }

// astdbCallerNames is the AstDB family of the phonebook's names.
const astdbCallerNames = "callctl-cidname"

// MaxListRows is how many entries one List returns at most.
const MaxListRows = 200

// phonebookError maps the store's answers: f is what a "not found" is of.
func phonebookError(err error, f Field, what string) error {
	switch {
	case errors.Is(err, phonebook.ErrInvalid):
		return &Error{Kind: KindInvalid, Field: FieldNone, Detail: strings.TrimPrefix(err.Error(), "phonebook: invalid: "), Err: err}
	case errors.Is(err, phonebook.ErrNotFound):
		return &Error{Kind: KindNotFound, Field: f, Detail: strings.TrimPrefix(err.Error(), "phonebook: not found: "), Err: err}
	}
	return unavailable(what, err)
}

func checkEntryNumber(n string) error {
	if n == "" {
		return Missing(FieldEntry)
	}
	if err := phonebook.CheckNumber(n); err != nil {
		return Invalid(FieldEntry, "%s: digits, an optional leading +, at most 32", quote(n))
	}
	return nil
}

// Set saves an entry (replacing the number's), and its caller name.
func (s *Phonebook) Set(ctx context.Context, e phonebook.Entry) error {
	if err := checkEntryNumber(e.Number); err != nil {
		return err
	}
	if e.Name == "" {
		return Missing(FieldSourceCallerName)
	}
	if err := phonebook.Set(s.DB, e); err != nil {
		return phonebookError(err, FieldCustomField, "saving the entry")
	}
	actx, cancel := s.ctx(ctx)
	defer cancel()
	if _, err := s.AMI.Action(actx, ami.Action{Name: "DBPut", Headers: map[string]string{"Family": astdbCallerNames, "Key": e.Number, "Val": e.Name}}); err != nil {
		return amiError("writing the caller name", err)
	}
	return nil
}

// Get returns the number's entry.
func (s *Phonebook) Get(ctx context.Context, number string) (phonebook.Entry, error) {
	if err := checkEntryNumber(number); err != nil {
		return phonebook.Entry{}, err
	}
	e, err := phonebook.Get(s.DB, number)
	if err != nil {
		return e, phonebookError(err, FieldEntry, "reading the entry")
	}
	return e, nil
}

// Delete removes the number's entry and its caller name.
func (s *Phonebook) Delete(ctx context.Context, number string) error {
	if err := checkEntryNumber(number); err != nil {
		return err
	}
	if err := phonebook.Delete(s.DB, number); err != nil {
		return phonebookError(err, FieldEntry, "deleting the entry")
	}
	actx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.AMI.Action(actx, ami.Action{Name: "DBDel", Headers: map[string]string{"Family": astdbCallerNames, "Key": number}})
	var re *ami.ResponseError
	if err != nil && !errors.As(err, &re) {
		return amiError("removing the caller name", err)
	}
	return nil
}

// List returns at most limit (1 to MaxListRows) entries from the offset-th
// on, by number, and how many entries there are.
func (s *Phonebook) List(ctx context.Context, offset, limit int) ([]phonebook.Entry, int, error) {
	if offset < 0 {
		return nil, 0, Invalid(FieldOffset, "%d: 0 or more", offset)
	}
	if limit < 1 || limit > MaxListRows {
		return nil, 0, Invalid(FieldLimit, "%d: 1 to %d", limit, MaxListRows)
	}
	list, total, err := phonebook.List(s.DB, offset, limit)
	if err != nil {
		return nil, 0, unavailable("reading the phonebook", err)
	}
	return list, total, nil
}

// Fields returns the custom fields.
func (s *Phonebook) Fields(ctx context.Context) ([]phonebook.Field, error) {
	fs, err := phonebook.Fields(s.DB)
	if err != nil {
		return nil, unavailable("reading the custom fields", err)
	}
	return fs, nil
}

// Resync makes AstDB hold exactly the phonebook's caller names.
func (s *Phonebook) Resync(ctx context.Context) error {
	actx, cancel := s.ctx(ctx)
	_, err := s.AMI.Action(actx, ami.Action{Name: "DBDelTree", Headers: map[string]string{"Family": astdbCallerNames}})
	cancel()
	var re *ami.ResponseError
	if err != nil && !errors.As(err, &re) {
		return amiError("clearing the caller names", err)
	}
	n := 0
	err = phonebook.All(s.DB, func(e phonebook.Entry) error {
		actx, cancel := s.ctx(ctx)
		defer cancel()
		n++
		if _, err := s.AMI.Action(actx, ami.Action{Name: "DBPut", Headers: map[string]string{"Family": astdbCallerNames, "Key": e.Number, "Val": e.Name}}); err != nil {
			return amiError("writing the caller names", err)
		}
		return nil
	})
	if err != nil {
		var ce *Error
		if errors.As(err, &ce) {
			return err
		}
		return unavailable("reading the phonebook", err)
	}
	s.log.Info().Int("entries", n).Msg("phonebook caller names written to AstDB")
	return nil
}
