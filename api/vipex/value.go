package vipex

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"unicode/utf8"
)

// An answer is a tree of these, in the seed's order of keys, so that the
// three formats show the same thing with the same types:
//
//	object   named values, in order (a PHP associative array)
//	list     values (a PHP array with keys 0, 1, …), empty or not
//	int      an integer (uint64 too)
//	string   a string
//	nil      null
type (
	object []field
	list   []any
	field  struct {
		name  string
		value any
	}
)

// Formats (the format parameter).
const (
	formatJSON = "json"
	formatXML  = "xml"
	formatPHP  = "php"
)

// contentTypes of the formats.
var contentTypes = map[string]string{
	formatJSON: "application/json; charset=utf-8",
	formatXML:  "application/xml; charset=utf-8",
	formatPHP:  "text/plain; charset=utf-8",
}

// envelope wraps an answer in onvipex_result, as every answer is.
func envelope(v object) object { return object{{"onvipex_result", v}} }

// encode writes v in a format.
func encode(format string, v object) []byte {
	var b bytes.Buffer
	switch format {
	case formatXML:
		b.WriteString(xml.Header)
		writeXML(&b, v)
		b.WriteByte('\n')
	case formatPHP:
		writePHP(&b, v)
	default:
		writeJSON(&b, v)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// writeJSON writes JSON as PHP's json_encode does by default (the seed's
// answers): characters outside ASCII as \u escapes.
func writeJSON(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case object:
		b.WriteByte('{')
		for i, f := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonString(b, f.name)
			b.WriteByte(':')
			writeJSON(b, f.value)
		}
		b.WriteByte('}')
	case list:
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, x)
		}
		b.WriteByte(']')
	case string:
		jsonString(b, v)
	case nil:
		b.WriteString("null")
	default:
		b.WriteString(integer(v))
	}
}

func jsonString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r > 0x7e:
			if r == utf8.RuneError {
				r = 0xfffd
			}
			for _, u := range utf16(r) {
				b.WriteString(`\u`)
				b.WriteByte(hex[u>>12&0xf])
				b.WriteByte(hex[u>>8&0xf])
				b.WriteByte(hex[u>>4&0xf])
				b.WriteByte(hex[u&0xf])
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// utf16 is r in UTF-16 code units (a surrogate pair beyond the BMP).
func utf16(r rune) []uint16 {
	if r < 0x10000 {
		return []uint16{uint16(r)}
	}
	r -= 0x10000
	return []uint16{uint16(0xd800 + r>>10), uint16(0xdc00 + r&0x3ff)}
}

// integer formats the integer types an answer holds.
func integer(v any) string {
	switch n := v.(type) {
	case int:
		return strconv.Itoa(n)
	case int64:
		return strconv.FormatInt(n, 10)
	case uint64:
		return strconv.FormatUint(n, 10)
	}
	panic("vipex: an answer holds a value of no format's type")
}

// writeXML writes the tree as elements named by the keys. The type of
// what is not a string is an attribute, so that a reader tells the types
// apart as in JSON: type="int", type="null" (an empty element),
// type="array" (its values are <item> elements; none when it is empty).
// Objects and strings carry no attribute.
func writeXML(b *bytes.Buffer, v object) {
	for _, f := range v {
		xmlElement(b, f.name, f.value)
	}
}

func xmlElement(b *bytes.Buffer, name string, v any) {
	b.WriteByte('<')
	b.WriteString(name)
	switch v := v.(type) {
	case object:
		b.WriteByte('>')
		writeXML(b, v)
	case list:
		b.WriteString(` type="array">`)
		for _, x := range v {
			xmlElement(b, "item", x)
		}
	case string:
		b.WriteByte('>')
		xml.EscapeText(b, []byte(v))
	case nil:
		b.WriteString(` type="null"/>`)
		return
	default:
		b.WriteString(` type="int">`)
		b.WriteString(integer(v))
	}
	b.WriteString("</")
	b.WriteString(name)
	b.WriteByte('>')
}

// writePHP writes what PHP's serialize() makes of the same array: objects
// are arrays with string keys, lists arrays with keys 0, 1, …; string
// lengths in bytes.
func writePHP(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case object:
		b.WriteString("a:" + strconv.Itoa(len(v)) + ":{")
		for _, f := range v {
			phpKey(b, f.name)
			writePHP(b, f.value)
		}
		b.WriteByte('}')
	case list:
		b.WriteString("a:" + strconv.Itoa(len(v)) + ":{")
		for i, x := range v {
			b.WriteString("i:" + strconv.Itoa(i) + ";")
			writePHP(b, x)
		}
		b.WriteByte('}')
	case string:
		b.WriteString(`s:` + strconv.Itoa(len(v)) + `:"`)
		b.WriteString(v)
		b.WriteString(`";`)
	case nil:
		b.WriteString("N;")
	default:
		b.WriteString("i:" + integer(v) + ";")
	}
}

// phpKey writes an array key. PHP turns a key that is a decimal integer
// into an integer key; the dialect's keys are names, never numbers.
func phpKey(b *bytes.Buffer, k string) {
	b.WriteString(`s:` + strconv.Itoa(len(k)) + `:"` + k + `";`)
}
