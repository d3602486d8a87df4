package canonical

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// benchTimeEntries returns n realistic time entries in format.
func benchTimeEntries(n int, format string) []byte {
	if format == FormatJSON {
		lines := bytes.TrimSuffix(benchTimeEntries(n, FormatNDJSON), []byte("\n"))
		return append(append([]byte("[\n"), bytes.ReplaceAll(lines, []byte("\n"), []byte(",\n"))...), "\n]\n"...)
	}
	var b bytes.Buffer
	if format == FormatCSV {
		b.WriteString("external_id,person,date,hours,project,client,task,notes,billable,bill_rate,cost_rate,billing_status,tags,phase,deliverable,updated_at\n")
	}
	for i := range n {
		day := 1 + i%28
		switch format {
		case FormatCSV:
			fmt.Fprintf(&b, "te-%d,p-%d,2026-03-%02d,%d.25,pr-acme-retainer,c-acme,Design,Spring campaign key visuals round %d,true,130,48.5,unbilled,design;campaign,design,d-acme-spring,2026-03-%02dT16:05:00Z\n",
				i, i%40, day, 1+i%8, i%5, day)
		default:
			fmt.Fprintf(&b, `{"external_id":"te-%d","person":"p-%d","date":"2026-03-%02d","hours":%d.25,"project":"pr-acme-retainer","client":"c-acme","task":"Design","notes":"Spring campaign key visuals round %d","billable":true,"bill_rate":130,"cost_rate":"48.5","billing_status":"unbilled","tags":["design","campaign"],"phase":"design","deliverable":"d-acme-spring","updated_at":"2026-03-%02dT16:05:00Z"}`+"\n",
				i, i%40, day, 1+i%8, i%5, day)
		}
	}
	return b.Bytes()
}

func benchParse(b *testing.B, format string) {
	const n = 100_000 // one op is one file of n rows
	data := benchTimeEntries(n, format)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	rows := 0
	cpu0, cpuOK := cpuTime()
	for b.Loop() {
		p, err := New(bytes.NewReader(data), "time_entry", format, ingest.Options{File: "bench", Org: "o"})
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := p.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	if cpu1, ok := cpuTime(); ok && cpuOK && cpu1 > cpu0 {
		// On a shared machine wall time includes waiting for a core.
		b.ReportMetric(float64(rows)/(cpu1-cpu0).Seconds(), "rows/cpu-s")
	}
}

// BenchmarkNDJSONTimeEntries measures the bulk and HTTP path: NDJSON time
// entries of about 400 bytes with the common fields. The target is over
// 300k rows/s on one core (-cpu 1).
func BenchmarkNDJSONTimeEntries(b *testing.B) { benchParse(b, FormatNDJSON) }

// BenchmarkCSVTimeEntries is the same rows as CSV.
func BenchmarkCSVTimeEntries(b *testing.B) { benchParse(b, FormatCSV) }

// BenchmarkJSONTimeEntries is the same rows as one JSON array.
func BenchmarkJSONTimeEntries(b *testing.B) { benchParse(b, FormatJSON) }
