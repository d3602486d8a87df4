package metrics

import (
	"bytes"
	"cmp"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// The KPI families are encoded once per refresh round, not per scrape:
// after a round the collector caps the series, builds the families as
// client_model messages, encodes them with expfmt's text encoder and
// compresses that body once (raw deflate, ended by a sync flush). A scrape
// then gathers only the registry's small families (process, Go, cache,
// HTTP, the collector's own) and writes them after the stored body; with
// gzip, the small part is compressed on the fly and joined to the stored
// deflate blocks in one gzip member (a fresh compressor's blocks never
// refer back past their own start, so the join is a valid deflate stream).

// family is a KPI gauge family: its name, help and labels (org first).
type family struct {
	name, help string
	labels     []string
	order      []int // indices of labels sorted by name, as exposition lists them
	desc       *prometheus.Desc
}

func newFamily(name, help string, labels ...string) *family {
	f := &family{name: name, help: help, labels: labels, desc: prometheus.NewDesc(name, help, labels, nil)}
	f.order = make([]int, len(labels))
	for i := range f.order {
		f.order[i] = i
	}
	slices.SortFunc(f.order, func(a, b int) int { return strings.Compare(labels[a], labels[b]) })
	return f
}

// metric builds one series of f.
func (f *family) metric(labels []string, v float64) *dto.Metric {
	m := &dto.Metric{Label: make([]*dto.LabelPair, len(labels)), Gauge: &dto.Gauge{Value: &v}}
	for i, j := range f.order {
		m.Label[i] = &dto.LabelPair{Name: &f.labels[j], Value: &labels[j]}
	}
	return m
}

// exposition is what one refresh round exports: the families, their text
// encoding and its deflate blocks.
type exposition struct {
	families []*dto.MetricFamily
	text     []byte
	deflated []byte // text as raw deflate blocks, the last not final (a sync flush)
	crc      uint32 // CRC-32 of text
	series   int    // KPI series kept (thresholds and names not counted)
}

// textFormat is the format /metrics answers in (the text format 0.0.4,
// which every Prometheus scrapes).
var textFormat = expfmt.NewFormat(expfmt.TypeTextPlain)

// encode builds the exposition of samples (already capped), names and
// thresholds: families by name, series by their labels in name order.
func encode(samples []sample, extra []sample) (*exposition, error) {
	byFam := map[*family][]*dto.Metric{}
	for _, s := range samples {
		byFam[s.fam] = append(byFam[s.fam], s.fam.metric(s.labels, s.value))
	}
	for _, s := range extra {
		byFam[s.fam] = append(byFam[s.fam], s.fam.metric(s.labels, s.value))
	}
	e := &exposition{series: len(samples)}
	for f, ms := range byFam {
		slices.SortFunc(ms, func(a, b *dto.Metric) int {
			for i := range a.Label {
				if c := cmp.Compare(a.Label[i].GetValue(), b.Label[i].GetValue()); c != 0 {
					return c
				}
			}
			return 0
		})
		e.families = append(e.families, &dto.MetricFamily{Name: &f.name, Help: &f.help, Type: dto.MetricType_GAUGE.Enum(), Metric: ms})
	}
	slices.SortFunc(e.families, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	var text bytes.Buffer
	enc := expfmt.NewEncoder(&text, textFormat)
	for _, f := range e.families {
		if err := enc.Encode(f); err != nil {
			return nil, fmt.Errorf("encode %s: %w", f.GetName(), err)
		}
	}
	e.text = text.Bytes()
	e.crc = crc32.ChecksumIEEE(e.text)
	var z bytes.Buffer
	zw, _ := flate.NewWriter(&z, flate.DefaultCompression) // the level is valid
	zw.Write(e.text)
	if err := zw.Flush(); err != nil { // not Close: the scrape's small part follows
		return nil, err
	}
	e.deflated = z.Bytes()
	return e, nil
}

// dtoMetric is a pre-built series, for the registry path (Collect).
type dtoMetric struct {
	desc *prometheus.Desc
	m    *dto.Metric
}

func (m dtoMetric) Desc() *prometheus.Desc { return m.desc }

func (m dtoMetric) Write(out *dto.Metric) error {
	out.Label, out.Gauge = m.m.Label, m.m.Gauge
	return nil
}

var gzipHeader = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}

var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// flaters are compressors for the scrape's small part (a new one
// allocates about a megabyte).
var flaters = sync.Pool{New: func() any {
	zw, _ := flate.NewWriter(nil, flate.BestSpeed) // the level is valid
	return zw
}}

// Handler serves /metrics: the KPI families as encoded after the last
// refresh round, then small's families gathered per scrape (the process's,
// the Go runtime's, the cache's, the HTTP server's and the collector's own
// metrics; they must not include the KPI families: set
// CollectorConfig.PreEncoded). It answers gzip when the scraper accepts
// it, and 500 naming the error when small cannot be gathered.
func (c *Collector) Handler(small prometheus.Gatherer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fams, err := small.Gather()
		if err != nil {
			c.cfg.Logger.Error("metrics_gather_failed", "err", err)
			http.Error(w, "gather the process metrics: "+err.Error(), http.StatusInternalServerError)
			return
		}
		buf := bufs.Get().(*bytes.Buffer)
		defer func() { buf.Reset(); bufs.Put(buf) }()
		enc := expfmt.NewEncoder(buf, textFormat)
		for _, f := range fams {
			if err := enc.Encode(f); err != nil {
				http.Error(w, "encode "+f.GetName()+": "+err.Error(), http.StatusInternalServerError)
				return
			}
		}
		c.mu.RLock()
		e := c.encoded
		c.mu.RUnlock()
		if e == nil {
			e = &exposition{crc: crc32.ChecksumIEEE(nil), deflated: emptyDeflate}
		}
		h := w.Header()
		h.Set("Content-Type", string(textFormat))
		h.Add("Vary", "Accept-Encoding")
		if !acceptsGzip(r) {
			h.Set("Content-Length", fmt.Sprint(len(e.text)+buf.Len()))
			w.Write(e.text)
			w.Write(buf.Bytes())
			return
		}
		h.Set("Content-Encoding", "gzip")
		tail := bufs.Get().(*bytes.Buffer)
		defer func() { tail.Reset(); bufs.Put(tail) }()
		zw := flaters.Get().(*flate.Writer)
		zw.Reset(tail)
		zw.Write(buf.Bytes())
		zw.Close() // the final block
		flaters.Put(zw)
		var trailer [8]byte
		binary.LittleEndian.PutUint32(trailer[:4], crc32.Update(e.crc, crc32.IEEETable, buf.Bytes()))
		binary.LittleEndian.PutUint32(trailer[4:], uint32(len(e.text)+buf.Len()))
		h.Set("Content-Length", fmt.Sprint(len(gzipHeader)+len(e.deflated)+tail.Len()+len(trailer)))
		w.Write(gzipHeader)
		w.Write(e.deflated)
		w.Write(tail.Bytes())
		w.Write(trailer[:])
	})
}

// emptyDeflate is the deflate blocks of no bytes, ended by a sync flush.
var emptyDeflate = func() []byte {
	var z bytes.Buffer
	zw, _ := flate.NewWriter(&z, flate.BestSpeed)
	zw.Flush()
	return z.Bytes()
}()

// acceptsGzip reports whether r's Accept-Encoding takes gzip (q > 0).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
