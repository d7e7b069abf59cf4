package vipex

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/callctl/callctl/api"
)

// params are a request's parameters: the query's and the body's, each
// given once.
type params map[string]string

// Body encodings (Content-Type) a POST may carry.
const (
	typeJSON      = "application/json"
	typeForm      = "application/x-www-form-urlencoded"
	typeMultipart = "multipart/form-data"
)

// maxMultipartMemory is how much of a multipart body is held in memory
// (the Server's body limit is lower by default, so nothing goes to disk).
const maxMultipartMemory = 1 << 20

// readParams reads the query and, for a POST, the body in the encoding
// its Content-Type names. A body that does not parse is an error, never
// an empty request; so is a parameter given twice (in the query and the
// body too), and a value or name with CR, LF or NUL.
func readParams(r *http.Request) (params, error) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return nil, api.ErrMethodNotAllowed
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, &api.RequestError{Detail: "the query cannot be read: " + api.Clip(err.Error(), 2*api.MaxEcho)}
	}
	p := params{}
	if err := p.add(query); err != nil {
		return nil, err
	}
	if r.Method == http.MethodPost {
		body, err := readBody(r)
		if err != nil {
			return nil, err
		}
		if err := p.add(body); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// add takes values, refusing a name given twice and control characters
// that would split an AMI header.
func (p params) add(vs url.Values) error {
	for name, values := range vs {
		if _, dup := p[name]; dup || len(values) > 1 {
			return &api.RequestError{Detail: "parameter " + quote(name) + " given more than once"}
		}
		if strings.ContainsAny(name, "\r\n\x00") || strings.ContainsAny(values[0], "\r\n\x00") {
			return &api.RequestError{Detail: "parameter " + quote(name) + " holds CR, LF or NUL"}
		}
		p[name] = values[0]
	}
	return nil
}

func (p params) get(name string) string { return p[name] }

// readBody reads a POST body by its Content-Type. A POST without a body
// needs none.
func readBody(r *http.Request) (url.Values, error) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		var one [1]byte
		n, err := io.ReadFull(r.Body, one[:])
		if n == 0 {
			if err == io.EOF {
				return nil, nil
			}
			return nil, bodyError(err)
		}
		return nil, &api.RequestError{Detail: "a body without a Content-Type: use " + typeJSON + ", " + typeForm + " or " + typeMultipart}
	}
	media, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, &api.RequestError{Detail: "Content-Type " + quote(ct) + " cannot be read"}
	}
	switch media {
	case typeJSON:
		data, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, bodyError(err)
		}
		return parseJSON(data)
	case typeForm:
		if err := r.ParseForm(); err != nil {
			return nil, bodyError(err)
		}
		return r.PostForm, nil
	case typeMultipart:
		if err := r.ParseMultipartForm(maxMultipartMemory); err != nil {
			return nil, bodyError(err)
		}
		defer r.MultipartForm.RemoveAll()
		if len(r.MultipartForm.File) > 0 {
			return nil, &api.RequestError{Detail: "the body holds a file: parameters only"}
		}
		return r.MultipartForm.Value, nil
	}
	return nil, &api.RequestError{Detail: "Content-Type " + quote(media) + ": use " + typeJSON + ", " + typeForm + " or " + typeMultipart}
}

// bodyError is a body that could not be read: too large, or malformed.
func bodyError(err error) error {
	if err == nil {
		return nil
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return api.ErrBodyTooLarge
	}
	return &api.RequestError{Detail: "the body cannot be read: " + api.Clip(err.Error(), 2*api.MaxEcho)}
}

// parseJSON reads a JSON object of parameters. A string is its value; a
// number its text; true and false are 1 and 0; null is no parameter; an
// array or object (custom_field_options) its compact JSON text. A key
// given twice is refused.
func parseJSON(data []byte) (url.Values, error) {
	bad := func(why string) error { return &api.RequestError{Detail: "the JSON body " + why} }
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, bad("is not an object")
	}
	vs := url.Values{}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, bad("cannot be read: " + api.Clip(err.Error(), 2*api.MaxEcho))
		}
		name := t.(string) // inside an object, the decoder only hands out string keys
		if seen[name] {
			return nil, &api.RequestError{Detail: "parameter " + quote(name) + " given more than once"}
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, bad("cannot be read: " + api.Clip(err.Error(), 2*api.MaxEcho))
		}
		switch raw[0] {
		case 'n':
			continue
		case 't':
			vs.Set(name, "1")
		case 'f':
			vs.Set(name, "0")
		case '"':
			var s string
			json.Unmarshal(raw, &s)
			vs.Set(name, s)
		case '[', '{':
			var b bytes.Buffer
			json.Compact(&b, raw)
			vs.Set(name, b.String())
		default:
			vs.Set(name, string(raw))
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, bad("cannot be read: " + api.Clip(err.Error(), 2*api.MaxEcho))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bad("has data after its object")
	}
	return vs, nil
}
