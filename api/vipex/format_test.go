package vipex

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// decodeOrdered reads JSON into an answer tree, keeping the order of keys
// (integers as int64).
func decodeOrdered(t testing.TB, data []byte) object {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var value func() any
	value = func() any {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '[' {
				l := list{}
				for dec.More() {
					l = append(l, value())
				}
				dec.Token()
				return l
			}
			o := object{}
			for dec.More() {
				k, _ := dec.Token()
				o = append(o, field{k.(string), value()})
			}
			dec.Token()
			return o
		case json.Number:
			n, err := v.Int64()
			if err != nil {
				t.Fatalf("%s: a number that is not an integer: %s", data, v)
			}
			return n
		case string:
			return v
		case nil:
			return nil
		}
		t.Fatalf("%s: unexpected %v", data, tok)
		return nil
	}
	o, ok := value().(object)
	if !ok {
		t.Fatalf("%s: not an object", data)
	}
	return o
}

// seedAnswers are the seed's answer examples (testdata/seed-answers.txt).
func seedAnswers(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("testdata/seed-answers.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if l := sc.Text(); l != "" && l[0] != '#' {
			out = append(out, l)
		}
	}
	return out
}

// Every answer of the seed, read and written again, is the same JSON, and
// the same bytes as PHP's serialize() of it (recorded with Debian's
// php-cli 8.2 in testdata/seed-answers.php.txt).
func TestSeedAnswersInJSONAndPHP(t *testing.T) {
	answers := seedAnswers(t)
	php, err := os.ReadFile("testdata/seed-answers.php.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSuffix(string(php), "\n"), "\n")
	if len(want) != len(answers) || len(answers) != 16 {
		t.Fatalf("%d answers, %d PHP lines; the seed has 16", len(answers), len(want))
	}
	for i, a := range answers {
		tree := decodeOrdered(t, []byte(a))
		if got := strings.TrimSuffix(string(encode(formatJSON, tree)), "\n"); got != a {
			t.Errorf("json:\n got %s\nwant %s", got, a)
		}
		if got := string(encode(formatPHP, tree)); got != want[i] {
			t.Errorf("php:\n got %s\nwant %s", got, want[i])
		}
		checkXML(t, encode(formatXML, tree), tree)
	}
}

// checkXML parses an XML answer back, by its type attributes, and wants
// the tree it was made of.
func checkXML(t *testing.T, data []byte, want object) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	var element func(start xml.StartElement) any
	element = func(start xml.StartElement) any {
		typ := ""
		for _, a := range start.Attr {
			if a.Name.Local == "type" {
				typ = a.Value
			}
		}
		var text strings.Builder
		var children []field
		for {
			tok, err := dec.Token()
			if err != nil {
				t.Fatalf("xml %s: %v", data, err)
			}
			switch tok := tok.(type) {
			case xml.StartElement:
				children = append(children, field{tok.Name.Local, element(tok)})
			case xml.CharData:
				text.Write(tok)
			case xml.EndElement:
				switch typ {
				case "null":
					return nil
				case "int":
					n, err := strconv.ParseInt(text.String(), 10, 64)
					if err != nil {
						t.Fatalf("xml %s: int %q", data, text.String())
					}
					return n
				case "array":
					l := list{}
					for _, c := range children {
						if c.name != "item" {
							t.Fatalf("xml %s: array element %s", data, c.name)
						}
						l = append(l, c.value)
					}
					return l
				}
				if children != nil {
					return object(children)
				}
				return text.String()
			}
		}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			t.Fatalf("xml %s: no element", data)
		}
		if err != nil {
			t.Fatalf("xml %s: %v", data, err)
		}
		if start, ok := tok.(xml.StartElement); ok {
			got := object{{start.Name.Local, element(start)}}
			if !reflect.DeepEqual(normalize(got), normalize(want)) {
				t.Errorf("xml %s:\n got %v\nwant %v", data, got, want)
			}
			return
		}
	}
}

// normalize makes integers int64, for comparing trees.
func normalize(v any) any {
	switch v := v.(type) {
	case object:
		out := object{}
		for _, f := range v {
			out = append(out, field{f.name, normalize(f.value)})
		}
		return out
	case list:
		out := list{}
		for _, x := range v {
			out = append(out, normalize(x))
		}
		return out
	case int:
		return int64(v)
	case uint64:
		return int64(v)
	}
	return v
}

// phpSerialize is PHP's serialize(json_decode(answer, true)), when php is
// installed.
func phpSerialize(t *testing.T, jsonAnswer []byte) (string, bool) {
	t.Helper()
	if _, err := exec.LookPath("php"); err != nil {
		return "", false
	}
	cmd := exec.Command("php", "-r", `echo serialize(json_decode(stream_get_contents(STDIN), true));`)
	cmd.Stdin = bytes.NewReader(jsonAnswer)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("php: %v", err)
	}
	return string(out), true
}

func TestStringsInEveryFormat(t *testing.T) {
	tree := envelope(object{{"result", 0}, {"reason", "Hívható \"x\" <&> \\ \u2028 😀 \t"}, {"empty", list{}}, {"none", nil}, {"one", list{object{{"a", uint64(1)}}}}})
	js := encode(formatJSON, tree)
	want := `{"onvipex_result":{"result":0,"reason":"H\u00edvhat\u00f3 \"x\" <&> \\ \u2028 \ud83d\ude00 \t","empty":[],"none":null,"one":[{"a":1}]}}` + "\n"
	if string(js) != want {
		t.Errorf("json:\n got %s\nwant %s", js, want)
	}
	if got := decodeOrdered(t, js); !reflect.DeepEqual(normalize(got), normalize(tree)) {
		t.Errorf("json read back: %v", got)
	}
	checkXML(t, encode(formatXML, tree), tree)
	if php, ok := phpSerialize(t, js); ok {
		if got := string(encode(formatPHP, tree)); got != php {
			t.Errorf("php:\n got %s\nwant %s", got, php)
		}
	} else {
		t.Log("php is not installed (apt-get install php-cli): PHP output checked against the recorded seed answers only")
	}
}
