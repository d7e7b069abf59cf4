package flow

import (
	"context"
	"encoding/json"

	"github.com/callctl/callctl/admin"
	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/store"
)

// SetArgs are the arguments of "flow set": the flow's text (YAML or
// JSON), decoded where the command runs, so that its problems name the
// lines of the file.
type SetArgs struct {
	Source string `json:"source"`
}

// NameArgs name a flow.
type NameArgs struct {
	Name string `json:"name"`
}

// Info is a flow as "flow set" and "flow list" show it.
type Info struct {
	Name     string `json:"name"`
	Exten    string `json:"exten,omitempty"`
	Language string `json:"language"`
	Steps    int    `json:"steps"`
	// First is the id of the first step.
	First string `json:"first"`
	// Replaced: "flow set" replaced a flow of the name.
	Replaced bool `json:"replaced,omitempty"`
}

// ShowResult is the result of "flow show": the flow in the flow language.
type ShowResult struct {
	Name string `json:"name"`
	YAML string `json:"yaml"`
}

func infoOf(f Flow) Info {
	in := Info{Name: f.Name, Exten: f.Exten, Language: f.Language, Steps: len(f.Steps)}
	if in.Language == "" {
		in.Language = DefaultLanguage
	}
	if len(f.Steps) > 0 {
		in.First = f.Steps[0].ID
	}
	return in
}

// AdminCommands are "flow set|list|show|del"; dir is the PBX the flows
// are validated against (with the clients and flows of the database), and
// whose pbx.dids keep the flows they run from "flow del".
func AdminCommands(dir *pbx.Directory) []admin.Command {
	return []admin.Command{
		{Name: "flow set", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			var a SetArgs
			if err := admin.DecodeArgs(raw, &a); err != nil {
				return nil, err
			}
			f, err := Decode([]byte(a.Source))
			if err != nil {
				return nil, adminError(err)
			}
			s := NewStore(db)
			_, had, err := s.Get(f.Name)
			if err != nil {
				return nil, err
			}
			if err := s.Set(f, NewCatalog(dir, db)); err != nil {
				return nil, adminError(err)
			}
			in := infoOf(f)
			in.Replaced = had
			return in, nil
		}},
		{Name: "flow list", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			if err := admin.DecodeArgs(raw, &struct{}{}); err != nil {
				return nil, err
			}
			all, err := NewStore(db).List()
			if err != nil {
				return nil, err
			}
			out := make([]Info, len(all))
			for i, f := range all {
				out[i] = infoOf(f)
			}
			return out, nil
		}},
		{Name: "flow show", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			var a NameArgs
			if err := admin.DecodeArgs(raw, &a); err != nil {
				return nil, err
			}
			f, ok, err := NewStore(db).Get(a.Name)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, admin.Errorf("%s: %s", "no such flow", a.Name)
			}
			text, err := Encode(f)
			if err != nil {
				return nil, err
			}
			return ShowResult{Name: f.Name, YAML: string(text)}, nil
		}},
		{Name: "flow del", Run: func(ctx context.Context, db *store.DB, raw json.RawMessage) (any, error) {
			var a NameArgs
			if err := admin.DecodeArgs(raw, &a); err != nil {
				return nil, err
			}
			if err := NewStore(db).Delete(a.Name, dir.Config().DIDs...); err != nil {
				return nil, adminError(err)
			}
			return a, nil
		}},
	}
}

func adminError(err error) error {
	return admin.InputError(err, "flow: ", ErrInvalid, ErrNotFound, ErrInUse)
}
