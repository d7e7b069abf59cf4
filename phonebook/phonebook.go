// Package phonebook stores the PBX's phonebook (VIPeX): entries by
// telephone number with a name, tags, a comment and values of custom
// fields, and the custom fields themselves (menu, number_sequence or text;
// a menu's value is one of its options' labels). Entries are JSON in
// store.BucketPhonebook keyed by number, fields in
// store.BucketPhonebookFields by id. Bad input gives ErrInvalid, a
// missing entry or field ErrNotFound.
package phonebook

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/callctl/callctl/store"
)

// Errors.
var (
	ErrInvalid  = errors.New("phonebook: invalid")
	ErrNotFound = errors.New("phonebook: not found")
	ErrExists   = errors.New("phonebook: exists already")
)

// Limits.
const (
	MaxName    = 128  // bytes of a name, a field's name, an option's label
	MaxTags    = 512  // bytes of the tags
	MaxComment = 1024 // bytes of a comment
	MaxValue   = 256  // bytes of a custom field's value
)

// Field types.
const (
	TypeMenu           = "menu"
	TypeNumberSequence = "number_sequence"
	TypeText           = "text"
)

// Entry is a phonebook entry.
type Entry struct {
	Number  string       `json:"phonenumber"`
	Name    string       `json:"name"`
	Tags    string       `json:"tags"`
	Comment string       `json:"comment"`
	Values  []FieldValue `json:"custom_field_options"`
}

// FieldValue is an entry's value of a custom field.
type FieldValue struct {
	FieldID int    `json:"field_id"`
	Value   string `json:"field_value"`
}

// Field is a custom field.
type Field struct {
	ID      int      `json:"field_id"`
	Name    string   `json:"field_name"`
	Type    string   `json:"field_type"`
	Options []Option `json:"options,omitempty"` // a menu's
}

// Option is a menu field's option.
type Option struct {
	ID    int    `json:"option_id"`
	Label string `json:"option_label"`
}

var (
	numberRE   = regexp.MustCompile(`^\+?[0-9]{1,32}$`)
	sequenceRE = regexp.MustCompile(`^[0-9]+(,[0-9]+)*$`)
)

// CheckNumber validates a telephone number of the phonebook.
func CheckNumber(n string) error {
	if !numberRE.MatchString(n) {
		return fmt.Errorf("%w: phonenumber %q: digits, an optional leading +, at most 32", ErrInvalid, n)
	}
	return nil
}

func checkText(what, v string, max int, required bool) error {
	if required && v == "" || len(v) > max || !utf8.ValidString(v) {
		return fmt.Errorf("%w: %s: at most %d bytes of UTF-8", ErrInvalid, what, max)
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: %s holds control characters", ErrInvalid, what)
		}
	}
	return nil
}

// AddField saves a custom field.
func AddField(db *store.DB, f Field) error {
	if f.ID <= 0 {
		return fmt.Errorf("%w: field id %d: a positive number", ErrInvalid, f.ID)
	}
	if err := checkText("field name", f.Name, MaxName, true); err != nil {
		return err
	}
	switch f.Type {
	case TypeMenu:
		if len(f.Options) == 0 {
			return fmt.Errorf("%w: a menu field needs options", ErrInvalid)
		}
		seen := map[int]bool{}
		for _, o := range f.Options {
			if o.ID <= 0 || seen[o.ID] {
				return fmt.Errorf("%w: option id %d: positive, once", ErrInvalid, o.ID)
			}
			seen[o.ID] = true
			if err := checkText("option label", o.Label, MaxName, true); err != nil {
				return err
			}
		}
	case TypeNumberSequence, TypeText:
		if len(f.Options) > 0 {
			return fmt.Errorf("%w: only menu fields have options", ErrInvalid)
		}
	default:
		return fmt.Errorf("%w: field type %q: menu, number_sequence or text", ErrInvalid, f.Type)
	}
	return db.Update(func(tx *store.Tx) error {
		if v, err := tx.Get(store.BucketPhonebookFields, store.IDKey(uint64(f.ID))); err != nil {
			return err
		} else if v != nil {
			return fmt.Errorf("%w: field %d", ErrExists, f.ID)
		}
		return tx.PutJSON(store.BucketPhonebookFields, store.IDKey(uint64(f.ID)), f)
	})
}

// DeleteField removes a custom field (entries keep no value of it).
func DeleteField(db *store.DB, id int) error {
	return db.Update(func(tx *store.Tx) error {
		if v, err := tx.Get(store.BucketPhonebookFields, store.IDKey(uint64(id))); err != nil {
			return err
		} else if v == nil {
			return fmt.Errorf("%w: field %d", ErrNotFound, id)
		}
		return tx.Delete(store.BucketPhonebookFields, store.IDKey(uint64(id)))
	})
}

// Fields returns the custom fields by id.
func Fields(db *store.DB) ([]Field, error) {
	out := []Field{}
	err := db.View(func(tx *store.Tx) error {
		var err error
		out, err = fields(tx)
		return err
	})
	return out, err
}

func fields(tx *store.Tx) ([]Field, error) {
	out := []Field{}
	err := tx.Scan(store.BucketPhonebookFields, nil, nil, func(k, v []byte) (bool, error) {
		var f Field
		if err := json.Unmarshal(v, &f); err != nil {
			return false, err
		}
		out = append(out, f)
		return true, nil
	})
	return out, err
}

// check validates an entry against the custom fields.
func (e Entry) check(fs []Field) error {
	if err := CheckNumber(e.Number); err != nil {
		return err
	}
	if err := checkText("name", e.Name, MaxName, true); err != nil {
		return err
	}
	if err := checkText("tags", e.Tags, MaxTags, false); err != nil {
		return err
	}
	if err := checkText("comment", e.Comment, MaxComment, false); err != nil {
		return err
	}
	seen := map[int]bool{}
	for _, v := range e.Values {
		i := slices.IndexFunc(fs, func(f Field) bool { return f.ID == v.FieldID })
		if i < 0 {
			return fmt.Errorf("%w: custom field %d", ErrNotFound, v.FieldID)
		}
		if seen[v.FieldID] {
			return fmt.Errorf("%w: custom field %d given twice", ErrInvalid, v.FieldID)
		}
		seen[v.FieldID] = true
		if err := checkText("field_value", v.Value, MaxValue, false); err != nil {
			return err
		}
		switch f := fs[i]; f.Type {
		case TypeMenu:
			if !slices.ContainsFunc(f.Options, func(o Option) bool { return o.Label == v.Value }) {
				return fmt.Errorf("%w: field %d: %q is not one of its options", ErrInvalid, f.ID, v.Value)
			}
		case TypeNumberSequence:
			if !sequenceRE.MatchString(v.Value) {
				return fmt.Errorf("%w: field %d: %q is not numbers separated by commas", ErrInvalid, f.ID, v.Value)
			}
		}
	}
	return nil
}

// Set saves an entry, replacing the number's entry if it has one.
func Set(db *store.DB, e Entry) error {
	if e.Values == nil {
		e.Values = []FieldValue{}
	}
	e.Tags = strings.TrimSpace(e.Tags)
	return db.Update(func(tx *store.Tx) error {
		fs, err := fields(tx)
		if err != nil {
			return err
		}
		if err := e.check(fs); err != nil {
			return err
		}
		return tx.PutJSON(store.BucketPhonebook, []byte(e.Number), e)
	})
}

// Get returns the number's entry.
func Get(db *store.DB, number string) (Entry, error) {
	var e Entry
	var found bool
	err := db.View(func(tx *store.Tx) error {
		var err error
		found, err = tx.GetJSON(store.BucketPhonebook, []byte(number), &e)
		return err
	})
	if err == nil && !found {
		err = fmt.Errorf("%w: %s", ErrNotFound, number)
	}
	return e, err
}

// Delete removes the number's entry.
func Delete(db *store.DB, number string) error {
	return db.Update(func(tx *store.Tx) error {
		if v, err := tx.Get(store.BucketPhonebook, []byte(number)); err != nil {
			return err
		} else if v == nil {
			return fmt.Errorf("%w: %s", ErrNotFound, number)
		}
		return tx.Delete(store.BucketPhonebook, []byte(number))
	})
}

// List returns at most limit entries from the offset-th (0-based), in the
// order of their numbers, and how many there are.
func List(db *store.DB, offset, limit int) ([]Entry, int, error) {
	out := []Entry{}
	var total int
	err := db.View(func(tx *store.Tx) error {
		var err error
		if total, err = tx.Count(store.BucketPhonebook); err != nil {
			return err
		}
		i := 0
		return tx.Scan(store.BucketPhonebook, nil, nil, func(k, v []byte) (bool, error) {
			if i >= offset+limit {
				return false, nil
			}
			if i >= offset {
				var e Entry
				if err := json.Unmarshal(v, &e); err != nil {
					return false, err
				}
				out = append(out, e)
			}
			i++
			return true, nil
		})
	})
	return out, total, err
}

// All calls fn for every entry (resynchronising the caller names).
func All(db *store.DB, fn func(Entry) error) error {
	return db.View(func(tx *store.Tx) error {
		return tx.Scan(store.BucketPhonebook, nil, nil, func(k, v []byte) (bool, error) {
			var e Entry
			if err := json.Unmarshal(v, &e); err != nil {
				return false, err
			}
			return true, fn(e)
		})
	})
}
