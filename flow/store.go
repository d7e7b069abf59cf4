package flow

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/store"
)

// Store keeps the flows in the database: each flow's YAML (the flow
// language, as Encode writes it) in store.BucketFlows by name, and the
// name of each technical extension's flow in store.BucketFlowByExten.
// It is the one writer of both buckets; safe for concurrent use.
type Store struct {
	db *store.DB
	// decoded keeps the flows Get and ByExten decoded, by name, with the
	// text they were decoded from: a flow whose stored text is the same
	// is not decoded again (decoding is ~20 times the cost of a copy).
	mu      sync.Mutex
	decoded map[string]decodedFlow
}

type decodedFlow struct {
	text []byte
	f    Flow
}

// maxDecoded bounds Store.decoded (it is emptied when full).
const maxDecoded = 1024

// NewStore returns the flows of db.
func NewStore(db *store.DB) *Store { return &Store{db: db} }

// TxCatalog is a Catalog that can answer from inside a store transaction:
// Set asks it so, to see what the transaction it validates in sees. A
// catalog that reads the Store's database must be one: a read transaction
// opened inside Set's write transaction can deadlock bbolt.
type TxCatalog interface {
	Catalog
	InTx(tx *store.Tx) Catalog
}

// Encode writes f in the flow language (YAML), as show prints it and the
// store keeps it; Decode reads it back to the same flow.
func Encode(f Flow) ([]byte, error) {
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("flow: encoding %q: %w", f.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("flow: encoding %q: %w", f.Name, err)
	}
	return []byte(b.String()), nil
}

// getCached is getTx, decoding the stored text only when it is not the
// text last decoded.
func (s *Store) getCached(tx *store.Tx, name string) (Flow, bool, error) {
	v, err := tx.Get(store.BucketFlows, []byte(name))
	if err != nil || v == nil {
		return Flow{}, false, err
	}
	s.mu.Lock()
	d, ok := s.decoded[name]
	s.mu.Unlock()
	if ok && bytes.Equal(d.text, v) {
		return d.f.Clone(), true, nil
	}
	f, err := decodeStored(name, v)
	if err != nil {
		return Flow{}, true, err
	}
	s.mu.Lock()
	if s.decoded == nil || len(s.decoded) >= maxDecoded {
		s.decoded = map[string]decodedFlow{}
	}
	s.decoded[name] = decodedFlow{text: v, f: f.Clone()}
	s.mu.Unlock()
	return f, true, nil
}

func getTx(tx *store.Tx, name string) (Flow, bool, error) {
	v, err := tx.Get(store.BucketFlows, []byte(name))
	if err != nil || v == nil {
		return Flow{}, false, err
	}
	f, err := decodeStored(name, v)
	return f, true, err
}

// decodeStored decodes the stored text of the flow called name.
func decodeStored(name string, v []byte) (Flow, error) {
	f, err := decode(v, 0)
	if err != nil {
		return Flow{}, fmt.Errorf("flow: the stored flow %q: %w", name, err)
	}
	return f, nil
}

// Get returns the flow called name, and whether there is one. The flow
// is the caller's (a copy: changing it changes nothing stored).
func (s *Store) Get(name string) (Flow, bool, error) {
	var f Flow
	var ok bool
	err := s.db.View(func(tx *store.Tx) error {
		var err error
		f, ok, err = s.getCached(tx, name)
		return err
	})
	return f, ok, err
}

// ByExten returns the flow whose technical extension is exten, and
// whether there is one.
func (s *Store) ByExten(exten string) (Flow, bool, error) {
	var f Flow
	var ok bool
	err := s.db.View(func(tx *store.Tx) error {
		name, err := tx.Get(store.BucketFlowByExten, []byte(exten))
		if err != nil || name == nil {
			return err
		}
		f, ok, err = s.getCached(tx, string(name))
		if err == nil && !ok {
			err = fmt.Errorf("flow: exten %s names flow %q, which is not stored", exten, name)
		}
		return err
	})
	return f, ok, err
}

// List returns every flow, by name.
func (s *Store) List() ([]Flow, error) {
	out := []Flow{}
	err := s.db.View(func(tx *store.Tx) error {
		var err error
		out, err = listTx(tx)
		return err
	})
	return out, err
}

func listTx(tx *store.Tx) ([]Flow, error) {
	out := []Flow{}
	err := tx.Scan(store.BucketFlows, nil, nil, func(k, v []byte) (bool, error) {
		f, err := decode(v, 0)
		if err != nil {
			return false, fmt.Errorf("flow: the stored flow %q: %w", k, err)
		}
		out = append(out, f)
		return true, nil
	})
	return out, err
}

// storeCatalog answers Flow from the transaction Set validates in, and
// the rest from the caller's catalog.
type storeCatalog struct {
	Catalog
	tx *store.Tx
}

func (c storeCatalog) Flow(name string) bool {
	v, err := c.tx.Get(store.BucketFlows, []byte(name))
	return err == nil && v != nil
}

// Set validates f and stores it, replacing the flow of its name. It
// validates in the write transaction, so a goto names a flow that is
// stored when f is; a technical extension another flow has is a problem
// too. An invalid flow is an *Error (ErrInvalid) and changes nothing.
func (s *Store) Set(f Flow, c Catalog) error {
	return s.db.Update(func(tx *store.Tx) error {
		if tc, ok := c.(TxCatalog); ok {
			c = tc.InTx(tx)
		}
		var problems []Problem
		err := Validate(f, storeCatalog{Catalog: c, tx: tx})
		if e, ok := err.(*Error); ok {
			problems = e.Problems
		} else if err != nil {
			return err
		}
		if f.Exten != "" {
			owner, err := tx.Get(store.BucketFlowByExten, []byte(f.Exten))
			if err != nil {
				return err
			}
			if owner != nil && string(owner) != f.Name {
				p := Problem{Step: -1, Field: "exten", Message: fmt.Sprintf("%q is the technical extension of flow %q", f.Exten, owner)}
				at := slices.IndexFunc(problems, func(p Problem) bool { return p.Step >= 0 })
				if at < 0 {
					at = len(problems)
				}
				problems = slices.Insert(problems, at, p)
			}
		}
		if len(problems) == 0 {
			p, err := crossLoop(tx, f)
			if err != nil {
				return err
			}
			if p != nil {
				problems = append(problems, *p)
			}
		}
		if len(problems) > 0 {
			return &Error{Flow: f.Name, Problems: problems}
		}
		old, had, err := getTx(tx, f.Name)
		if err != nil {
			return err
		}
		if had && old.Exten != "" && old.Exten != f.Exten {
			if err := tx.Delete(store.BucketFlowByExten, []byte(old.Exten)); err != nil {
				return err
			}
		}
		data, err := Encode(f)
		if err != nil {
			return err
		}
		if err := tx.Put(store.BucketFlows, []byte(f.Name), data); err != nil {
			return err
		}
		if f.Exten != "" {
			return tx.Put(store.BucketFlowByExten, []byte(f.Exten), []byte(f.Name))
		}
		return nil
	})
}

// Delete removes the flow called name: ErrNotFound if there is none,
// ErrInUse (and nothing changed) while another flow's goto names it or one
// of dids (the configuration's pbx.dids) runs it.
func (s *Store) Delete(name string, dids ...pbx.DID) error {
	return s.db.Update(func(tx *store.Tx) error {
		f, ok, err := getTx(tx, name)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		all, err := listTx(tx)
		if err != nil {
			return err
		}
		var users []string
		for _, d := range dids {
			if d.Flow == name {
				users = append(users, fmt.Sprintf("DID %s (pbx.dids) runs it", d.Number))
			}
		}
		var gotos []string
		for _, o := range all {
			if o.Name == name {
				continue
			}
			for i, st := range o.Steps {
				if st.Goto != nil && st.Goto.Flow == name {
					gotos = append(gotos, fmt.Sprintf("flow %q steps[%d] (id %q)", o.Name, i, st.ID))
				}
			}
		}
		if len(gotos) > 0 {
			users = append(users, "the goto of "+strings.Join(gotos, ", ")+" names it")
		}
		if len(users) > 0 {
			return fmt.Errorf("%w: flow %q: %s", ErrInUse, name, strings.Join(users, "; "))
		}
		if f.Exten != "" {
			if err := tx.Delete(store.BucketFlowByExten, []byte(f.Exten)); err != nil {
				return err
			}
		}
		return tx.Delete(store.BucketFlows, []byte(name))
	})
}

// crossLoop reports a loop without an exit through other flows: from f's
// first step, steps that do not wait for the caller lead to a goto of
// another flow whose first steps lead on so, back to f.
func crossLoop(tx *store.Tx, f Flow) (*Problem, error) {
	at, next := entryGoto(f)
	if at < 0 {
		return nil, nil
	}
	path := []string{f.Name}
	seen := map[string]bool{f.Name: true}
	for next != "" {
		path = append(path, next)
		if next == f.Name {
			return &Problem{Step: at, ID: f.Steps[at].ID, Field: "goto.flow", Message: fmt.Sprintf(
				"a loop without an exit through other flows: %s; no step from their first to their goto waits for the caller",
				strings.Join(path, " → "))}, nil
		}
		if seen[next] {
			return nil, nil // a loop that does not come back to f
		}
		seen[next] = true
		o, ok, err := getTx(tx, next)
		if err != nil || !ok {
			return nil, err
		}
		_, next = entryGoto(o)
	}
	return nil, nil
}
