package canonical

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
	"unicode/utf8"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// seed adds every example file of format to the corpus, with its entity's
// index in ingest.EntityNames().
func seed(f *testing.F, format string) {
	for _, ex := range exampleFiles(f) {
		if ex.format != format {
			continue
		}
		b, err := os.ReadFile(ex.path)
		if err != nil {
			f.Fatal(err)
		}
		for i, e := range ingest.EntityNames() {
			if e == ex.entity {
				f.Add(b, uint8(i))
			}
		}
	}
}

// drain runs a parser to the end and fails on a panic (by crashing), on an
// error that is not a RowError, FileError or io.EOF, on a row without a
// record, and on a parser that does not end. It reports whether the input
// ended in a FileError.
func drain(t *testing.T, data []byte, entity uint8, format string) (fileErr bool) {
	names := ingest.EntityNames()
	e := names[int(entity)%len(names)]
	p, err := New(bytes.NewReader(data), e, format, ingest.Options{File: "fuzz", Org: "o"})
	if err != nil {
		t.Fatal(err)
	}
	// Every row consumes at least one byte, and a FileError ends the loop.
	for range len(data) + 2 {
		row, err := p.Next()
		var re *ingest.RowError
		var fe *ingest.FileError
		switch {
		case err == nil:
			if row.Record == nil || row.Line < 1 {
				t.Fatalf("row %+v", row)
			}
		case errors.Is(err, io.EOF):
			return false
		case errors.As(err, &re):
			if re.Line < 1 {
				t.Fatalf("row error without a line: %v", re)
			}
		case errors.As(err, &fe):
			return true
		default:
			t.Fatalf("error of type %T: %v", err, err)
		}
	}
	t.Fatal("parser did not end")
	return false
}

func FuzzCSV(f *testing.F) {
	seed(f, FormatCSV)
	f.Add([]byte("external_id,name\n\"c-1,x\n"), uint8(1))
	f.Add([]byte("\ufeffexternal_id,deleted\nx,true\n"), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, entity uint8) {
		drain(t, data, entity, FormatCSV)
	})
}

func FuzzNDJSON(f *testing.F) {
	seed(f, FormatNDJSON)
	f.Add([]byte(`{"external_id":"x","deleted":true}`+"\n\n{"), uint8(3))
	f.Add([]byte(`{"hours":1e99999,"tags":["a",1,{"b":[null]}],"x":"\ud800"}`), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, entity uint8) {
		drain(t, data, entity, FormatNDJSON)
	})
}

func FuzzJSON(f *testing.F) {
	seed(f, FormatJSON)
	seed(f, FormatNDJSON) // not arrays: exercises the errors
	f.Add([]byte(`[{"date":"2026-01-01"}, 1, "x", [], {"a":{"b":[]}}]`), uint8(8))
	f.Fuzz(func(t *testing.T, data []byte, entity uint8) {
		failed := drain(t, data, entity, FormatJSON)
		// The file is rejected exactly when it is not a JSON array, as
		// encoding/json judges (nesting limits differ; invalid UTF-8 is a
		// row error).
		doc := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\ufeff")), " \t\r\n")
		if bytes.Count(doc, []byte("["))+bytes.Count(doc, []byte("{")) > maxDepth/2 {
			return
		}
		isArray := json.Valid(doc) && len(doc) > 0 && doc[0] == '['
		if failed == isArray {
			t.Fatalf("FileError %v, but encoding/json says valid array %v, for %q", failed, isArray, data)
		}
	})
}

// collect is a memberSink that keeps everything.
type collect struct{ members map[string]raw }

func (c *collect) member(key string, v raw) *issue {
	c.members[key] = v
	return nil
}

// FuzzScanObject checks the hand-written JSON scanner against
// encoding/json: it accepts exactly the valid JSON objects, and decodes
// their string values the same.
func FuzzScanObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":"b\u00e9\ud83d\ude00\n"}`, `{"a":[1,"x",{"y":null}],"b":-0.5e+3}`,
		`{"a":1,}`, `{"a":01}`, `{"a":"\ud800x"}`, `{"a" : true , "b":false,"c":null}`, ` {"a":"\/"} `, `{"a":"x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !utf8.Valid(data) || bytes.Count(data, []byte("["))+bytes.Count(data, []byte("{")) > maxDepth/2 {
			return // the parsers check UTF-8 first; nesting limits differ
		}
		var sc scanner
		c := &collect{members: map[string]raw{}}
		_, serr := sc.object(data, c)
		// Numbers as json.Number: JSON has no range limit (1e700 is valid, and
		// the parsers read numbers exactly), float64 has.
		var want map[string]any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		jerr := dec.Decode(&want)
		if jerr == nil {
			if _, err := dec.Token(); err != io.EOF {
				jerr = fmt.Errorf("more after the object: %v", err)
			}
		}
		isObject := jerr == nil && want != nil
		if (serr == nil) != isObject {
			t.Fatalf("scanner error %v, encoding/json error %v, for %q", serr, jerr, data)
		}
		if serr != nil {
			return
		}
		for k, v := range want {
			s, ok := v.(string)
			if !ok {
				continue
			}
			got := c.members[k]
			if s == "" && got.kind == absent {
				continue
			}
			if got.kind != text || got.text != s {
				// Duplicate keys: encoding/json keeps the last, so does collect.
				t.Fatalf("key %q: got %+v, want %q", k, got, s)
			}
		}
	})
}
