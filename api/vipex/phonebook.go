package vipex

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"

	"github.com/callctl/callctl/callflow"
	"github.com/callctl/callctl/phonebook"
)

// phonebookParams names the core's fields in the phonebook actions.
var phonebookParams = map[callflow.Field]string{
	callflow.FieldEntry: "phonenumber", callflow.FieldSourceCallerName: "name", callflow.FieldCustomField: "custom_field_options",
	callflow.FieldOffset: "offset", callflow.FieldLimit: "limit",
}

// customValues decodes custom_field_options: a JSON array of {field_id,
// field_value}, whatever the body's encoding.
func customValues(v string) ([]phonebook.FieldValue, error) {
	if v == "" {
		return nil, nil
	}
	var raw []struct {
		FieldID *json.Number `json:"field_id"`
		Value   *string      `json:"field_value"`
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(v)))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil || dec.More() {
		return nil, callflow.Invalid(callflow.FieldCustomField, "a JSON array of {\"field_id\": N, \"field_value\": \"…\"}")
	}
	out := make([]phonebook.FieldValue, 0, len(raw))
	for _, r := range raw {
		if r.FieldID == nil || r.Value == nil {
			return nil, callflow.Invalid(callflow.FieldCustomField, "each value needs field_id and field_value")
		}
		id, err := strconv.Atoi(r.FieldID.String())
		if err != nil {
			return nil, callflow.Invalid(callflow.FieldCustomField, "field_id %s is not a number", quote(r.FieldID.String()))
		}
		out = append(out, phonebook.FieldValue{FieldID: id, Value: *r.Value})
	}
	return out, nil
}

// phoneNumber is a number as the seed shows it: an integer when it is one.
func phoneNumber(n string) any {
	if i, err := strconv.ParseInt(n, 10, 64); err == nil && n[0] != '0' && n[0] != '+' {
		return i
	}
	return n
}

func entryObject(e phonebook.Entry) object {
	vals := make(list, 0, len(e.Values))
	for _, v := range e.Values {
		vals = append(vals, object{{"field_id", v.FieldID}, {"field_value", v.Value}})
	}
	return object{{"phonenumber", phoneNumber(e.Number)}, {"name", e.Name}, {"tags", e.Tags}, {"comment", e.Comment}, {"custom_field_options", vals}}
}

func (h *Handler) setPhonebookEntry(ctx context.Context, p params) (any, error) {
	vals, err := customValues(p.get("custom_field_options"))
	if err != nil {
		return nil, err
	}
	e := phonebook.Entry{Number: p.get("phonenumber"), Name: p.get("name"), Tags: p.get("tags"), Comment: p.get("comment"), Values: vals}
	if err := h.svc.Phonebook.Set(ctx, e); err != nil {
		return nil, err
	}
	return object{}, nil
}

func (h *Handler) getPhonebookEntry(ctx context.Context, p params) (any, error) {
	e, err := h.svc.Phonebook.Get(ctx, p.get("phonenumber"))
	if err != nil {
		return nil, err
	}
	return entryObject(e), nil
}

func (h *Handler) delPhonebookEntry(ctx context.Context, p params) (any, error) {
	if err := h.svc.Phonebook.Delete(ctx, p.get("phonenumber")); err != nil {
		return nil, err
	}
	return object{}, nil
}

// optionalInt decodes an optional number.
func optionalInt(p params, name string, f callflow.Field, def int) (int, error) {
	v := p.get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, callflow.Invalid(f, "%s is not a number", quote(v))
	}
	return n, nil
}

func (h *Handler) getPhonebookList(ctx context.Context, p params) (any, error) {
	offset, err := optionalInt(p, "offset", callflow.FieldOffset, 0)
	if err != nil {
		return nil, err
	}
	limit, err := optionalInt(p, "limit", callflow.FieldLimit, callflow.MaxListRows)
	if err != nil {
		return nil, err
	}
	// At most max_queryable_rows: a larger limit gets that many (the
	// metadata says so).
	limit = min(limit, callflow.MaxListRows)
	entries, total, err := h.svc.Phonebook.List(ctx, offset, limit)
	if err != nil {
		return nil, err
	}
	l := make(list, 0, len(entries))
	for _, e := range entries {
		l = append(l, entryObject(e))
	}
	meta := object{{"max_queryable_rows", callflow.MaxListRows}, {"full_count", strconv.Itoa(total)}, // a string, as the seed shows
		{"list_count", len(entries)}, {"list_from", offset}, {"list_to", offset + len(entries) - 1}}
	return object{{"phonebook_list", l}, {"metadata", meta}}, nil
}

func (h *Handler) getPhonebookFields(ctx context.Context, p params) (any, error) {
	fs, err := h.svc.Phonebook.Fields(ctx)
	if err != nil {
		return nil, err
	}
	l := make(list, 0, len(fs))
	for _, f := range fs {
		o := object{{"field_id", f.ID}, {"field_name", f.Name}, {"field_type", f.Type}}
		if f.Type == phonebook.TypeMenu {
			opts := make(list, 0, len(f.Options))
			for _, op := range f.Options {
				opts = append(opts, object{{"option_id", op.ID}, {"option_label", op.Label}})
			}
			o = append(o, field{"options", opts})
		}
		l = append(l, o)
	}
	return object{{"phonebook_custom_field_list", l}}, nil
}
