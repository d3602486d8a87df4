package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"reflect"
	"slices"
	"testing"
)

// FuzzCSVReader holds csvReader to what encoding/csv reads from the same
// input: the same records with the same field lines, and the same errors,
// record after record, errors included.
func FuzzCSVReader(f *testing.F) {
	for _, s := range []string{
		"a,b,c\n1,2,3\n",
		"a,b\r\n1,2\r\n\r\n\n3,4",
		"a,\"b,c\",d\n\"x\"\"y\",z,\n",
		"\"multi\nline\",x\n\"a\r\nb\",y\r\n",
		"a,b\"c\n1,2\n",      // a bare quote
		"\"a\"b,c\n1,2\n",    // a stray quote after the closing one
		"a,\"b\n1,2\n",       // a quote never closed
		"a,\"b\"\"",          // ... at the end of the input
		"a,\"b\"\n\"",        // an opening quote at the very end
		"a,\"\"\n,,\n\r\n\r", // empty fields, blank lines, a lone \r at the end
		"\"\",\"\"\r",
		"a,\"x\"\ny,\"b\n\n\nc\",\"d\"\"\n\"\n",
		"a\rb,c\r\r\n",
		"\"a\",\"b\",\n\"\"\"\",\",\"\n",
		"\"long field " + string(bytes.Repeat([]byte("x"), 100)) + "\",\n" + string(bytes.Repeat([]byte("y,"), 60)) + "\n",
		"\xff,\"\xe2\",\x82\xac\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		want := csv.NewReader(bytes.NewReader(in))
		want.FieldsPerRecord = -1
		// The smallest buffer, so that long lines take the slow path.
		got := &csvReader{r: bufio.NewReaderSize(bytes.NewReader(in), 16)}
		for n := 0; n <= len(in)+1; n++ {
			wrec, werr := want.Read()
			grec, gerr := got.read()
			if !reflect.DeepEqual(gerr, werr) {
				t.Fatalf("record %d: error %v, want %v", n, gerr, werr)
			}
			if errors.Is(werr, io.EOF) {
				return
			}
			if werr != nil {
				continue
			}
			if !slices.Equal(grec, wrec) {
				t.Fatalf("record %d: %q, want %q", n, grec, wrec)
			}
			for i := range wrec {
				if line, _ := want.FieldPos(i); got.spans[i].line != line {
					t.Fatalf("record %d field %d: line %d, want %d", n, i, got.spans[i].line, line)
				}
			}
		}
		t.Fatal("no io.EOF")
	})
}
