package cluster

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"
)

// GathererCollector is an unchecked collector re-emitting every family of g
// at each collection: registered alone on the registry a worker's public
// /metrics serves, it makes that registry answer the cluster's merge
// (Worker.Gatherer). A failed gather surfaces as a collection error (the
// scrape fails) rather than a partial answer.
func GathererCollector(g prometheus.Gatherer) prometheus.Collector {
	return gathererCollector{g: g}
}

type gathererCollector struct{ g prometheus.Gatherer }

var gatherFailed = prometheus.NewDesc("cluster_gather_failed", "The cluster's metrics could not be gathered.", nil, nil)

// Describe sends nothing: the collector is unchecked.
func (gathererCollector) Describe(chan<- *prometheus.Desc) {}

func (c gathererCollector) Collect(ch chan<- prometheus.Metric) {
	fams, err := c.g.Gather()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(gatherFailed, err)
		return
	}
	for _, f := range fams {
		desc := prometheus.NewDesc(f.GetName(), f.GetHelp(), nil, nil)
		for _, m := range f.Metric {
			ch <- dtoMetric{desc: desc, m: m}
		}
	}
}

// dtoMetric is a gathered series as a prometheus.Metric.
type dtoMetric struct {
	desc *prometheus.Desc
	m    *dto.Metric
}

func (d dtoMetric) Desc() *prometheus.Desc { return d.desc }

func (d dtoMetric) Write(out *dto.Metric) error {
	proto.Merge(out, d.m)
	return nil
}
