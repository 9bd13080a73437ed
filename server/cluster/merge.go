package cluster

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/proto"
)

// WorkerLabel is the label the merge adds to every worker series.
const WorkerLabel = "worker"

// protoFormat is the wire format between primary and workers.
var protoFormat = expfmt.NewFormat(expfmt.TypeProtoDelim)

func writeFamilies(w io.Writer, fams []*dto.MetricFamily) error {
	enc := expfmt.NewEncoder(w, protoFormat)
	for _, f := range fams {
		if err := enc.Encode(f); err != nil {
			return fmt.Errorf("cannot encode metric family %s: %w", f.GetName(), err)
		}
	}
	return nil
}

func readFamilies(r io.Reader) ([]*dto.MetricFamily, error) {
	dec := expfmt.NewDecoder(r, protoFormat)
	var out []*dto.MetricFamily
	for {
		f := &dto.MetricFamily{}
		err := dec.Decode(f)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("cannot decode metric families: %w", err)
		}
		out = append(out, f)
	}
}

// merger sums metric families from several processes. Series with the same
// name and label set are added (counters, gauges, untyped, histogram
// buckets/count/sum, summary count/sum); a family whose type differs from
// the first seen is dropped for that source.
type merger struct {
	fams   map[string]*dto.MetricFamily
	series map[string]map[string]*dto.Metric
}

func newMerger() *merger {
	return &merger{fams: map[string]*dto.MetricFamily{}, series: map[string]map[string]*dto.Metric{}}
}

// add merges fams, setting label WorkerLabel=worker on every series when
// worker is not empty.
func (m *merger) add(fams []*dto.MetricFamily, worker string) {
	for _, f := range fams {
		dst, ok := m.fams[f.GetName()]
		if !ok {
			dst = &dto.MetricFamily{Name: f.Name, Help: f.Help, Type: f.Type, Unit: f.Unit}
			m.fams[f.GetName()] = dst
			m.series[f.GetName()] = map[string]*dto.Metric{}
		} else if dst.GetType() != f.GetType() {
			continue
		}
		for _, metric := range f.Metric {
			if worker != "" {
				setLabel(metric, WorkerLabel, worker)
			}
			sig := labelSignature(metric.Label)
			if prev, ok := m.series[f.GetName()][sig]; ok {
				addMetric(prev, metric)
				continue
			}
			m.series[f.GetName()][sig] = metric
			dst.Metric = append(dst.Metric, metric)
		}
	}
}

// families answers the merged families sorted by name.
func (m *merger) families() []*dto.MetricFamily {
	out := make([]*dto.MetricFamily, 0, len(m.fams))
	for _, f := range m.fams {
		if len(f.Metric) > 0 {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	return out
}

func setLabel(m *dto.Metric, name, value string) {
	for _, lp := range m.Label {
		if lp.GetName() == name {
			lp.Value = proto.String(value)
			return
		}
	}
	m.Label = append(m.Label, &dto.LabelPair{Name: proto.String(name), Value: proto.String(value)})
	sort.Slice(m.Label, func(i, j int) bool { return m.Label[i].GetName() < m.Label[j].GetName() })
}

func labelSignature(lps []*dto.LabelPair) string {
	var b strings.Builder
	for _, lp := range lps {
		b.WriteString(lp.GetName())
		b.WriteByte(0xfe)
		b.WriteString(lp.GetValue())
		b.WriteByte(0xff)
	}
	return b.String()
}

// addMetric adds src's values into dst (same family type).
func addMetric(dst, src *dto.Metric) {
	switch {
	case dst.Counter != nil && src.Counter != nil:
		dst.Counter.Value = proto.Float64(dst.Counter.GetValue() + src.Counter.GetValue())
	case dst.Gauge != nil && src.Gauge != nil:
		dst.Gauge.Value = proto.Float64(dst.Gauge.GetValue() + src.Gauge.GetValue())
	case dst.Untyped != nil && src.Untyped != nil:
		dst.Untyped.Value = proto.Float64(dst.Untyped.GetValue() + src.Untyped.GetValue())
	case dst.Histogram != nil && src.Histogram != nil:
		addHistogram(dst.Histogram, src.Histogram)
	case dst.Summary != nil && src.Summary != nil:
		dst.Summary.SampleCount = proto.Uint64(dst.Summary.GetSampleCount() + src.Summary.GetSampleCount())
		dst.Summary.SampleSum = proto.Float64(dst.Summary.GetSampleSum() + src.Summary.GetSampleSum())
	}
}

func addHistogram(dst, src *dto.Histogram) {
	dst.SampleCount = proto.Uint64(dst.GetSampleCount() + src.GetSampleCount())
	dst.SampleSum = proto.Float64(dst.GetSampleSum() + src.GetSampleSum())
	if len(dst.Bucket) != len(src.Bucket) {
		return
	}
	for i, b := range dst.Bucket {
		if b.GetUpperBound() == src.Bucket[i].GetUpperBound() {
			b.CumulativeCount = proto.Uint64(b.GetCumulativeCount() + src.Bucket[i].GetCumulativeCount())
		}
	}
}
