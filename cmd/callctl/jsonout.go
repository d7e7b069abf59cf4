package main

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"
)

// printJSON writes v as indented JSON for people and scripts, as
// encoding/json would except that missing data never shows as a Go zero
// value: a zero time is null (an unanswered call's answer_time), and a nil
// list or map is [] or {} (a call without sub-records has "sub_cdrs": []).
// Fields tagged omitempty or omitzero are left out as encoding/json does.
func printJSON(w io.Writer, v any) int {
	var buf bytes.Buffer
	if err := encodeCLI(&buf, reflect.ValueOf(v)); err != nil {
		fmt.Fprintln(w, "callctl: json:", err)
		return 1
	}
	var out bytes.Buffer
	if err := json.Indent(&out, buf.Bytes(), "", "  "); err != nil {
		fmt.Fprintln(w, "callctl: json:", err)
		return 1
	}
	out.WriteByte('\n')
	if _, err := w.Write(out.Bytes()); err != nil {
		return 1
	}
	return 0
}

var (
	timeType      = reflect.TypeOf(time.Time{})
	marshalerType = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
	textType      = reflect.TypeOf((*encoding.TextMarshaler)(nil)).Elem()
)

func encodeCLI(b *bytes.Buffer, v reflect.Value) error {
	if !v.IsValid() {
		b.WriteString("null")
		return nil
	}
	t := v.Type()
	switch {
	case t == timeType:
		if v.Interface().(time.Time).IsZero() {
			b.WriteString("null")
			return nil
		}
		return leaf(b, v)
	case t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface &&
		(t.Implements(marshalerType) || t.Implements(textType)):
		return leaf(b, v)
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("null")
			return nil
		}
		return encodeCLI(b, v.Elem())
	case reflect.Struct:
		b.WriteByte('{')
		first := true
		if err := encodeFields(b, v, &first); err != nil {
			return err
		}
		b.WriteByte('}')
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return leaf(b, v) // []byte: base64, as encoding/json
		}
		b.WriteByte('[')
		for i := range v.Len() {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := encodeCLI(b, v.Index(i)); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case reflect.Map:
		keys := v.MapKeys()
		names := make([]string, len(keys))
		for i, k := range keys {
			names[i] = fmt.Sprint(k.Interface())
		}
		order := make([]int, len(keys))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(i, j int) int { return strings.Compare(names[i], names[j]) })
		b.WriteByte('{')
		for n, i := range order {
			if n > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(names[i])
			b.Write(kb)
			b.WriteByte(':')
			if err := encodeCLI(b, v.MapIndex(keys[i])); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return leaf(b, v)
	}
	return nil
}

// encodeFields writes a struct's fields (embedded structs' fields inline).
func encodeFields(b *bytes.Buffer, v reflect.Value, first *bool) error {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		fv := v.Field(i)
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue
				}
				fv, ft = fv.Elem(), ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if err := encodeFields(b, fv, first); err != nil {
					return err
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		omit := false
		for _, o := range strings.Split(opts, ",") {
			switch o {
			case "omitempty":
				omit = omit || emptyValue(fv)
			case "omitzero":
				omit = omit || fv.IsZero()
			}
		}
		if omit {
			continue
		}
		if !*first {
			b.WriteByte(',')
		}
		*first = false
		kb, _ := json.Marshal(name)
		b.Write(kb)
		b.WriteByte(':')
		if (fv.Kind() == reflect.Slice || fv.Kind() == reflect.Map) && fv.IsNil() && fv.Type() != reflect.TypeOf(json.RawMessage(nil)) {
			if fv.Kind() == reflect.Slice {
				b.WriteString("[]")
			} else {
				b.WriteString("{}")
			}
			continue
		}
		if err := encodeCLI(b, fv); err != nil {
			return err
		}
	}
	return nil
}

// emptyValue is encoding/json's omitempty test.
func emptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

func leaf(b *bytes.Buffer, v reflect.Value) error {
	data, err := json.Marshal(v.Interface())
	if err != nil {
		return err
	}
	b.Write(data)
	return nil
}
