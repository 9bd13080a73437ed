package httpapi

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// HostSetting is one host value the server's configuration needs (an
// open-file limit, a kernel setting): OK when the host holds it, Detail
// the phrase /health shows when it does not.
type HostSetting struct {
	Key    string
	OK     bool
	Detail string
}

// HostChecker reads the host against what the configuration needs. It
// runs on every /health request and every scrape, so it must be quick.
type HostChecker interface {
	HostSettings() []HostSetting
}

// hostCheck is the "host" entry of /health: warn (the answer is
// "degraded", never 503: a host below its profile still serves, only with
// less headroom) listing the settings that are off.
func (s *Server) hostCheck() (check, bool) {
	if s.d.Host == nil {
		return check{}, false
	}
	var off []string
	for _, st := range s.d.Host.HostSettings() {
		if !st.OK {
			off = append(off, st.Detail)
		}
	}
	if len(off) == 0 {
		return check{Status: checkPass}, true
	}
	return check{Status: checkWarn, Message: "settings off: " + strings.Join(off, "; ")}, true
}

// addHostCheck puts the host check into ans, degrading a healthy answer.
func (s *Server) addHostCheck(ans *healthAnswer) {
	c, ok := s.hostCheck()
	if !ok {
		return
	}
	ans.Checks["host"] = c
	if c.Status != checkPass && ans.Status == "healthy" {
		ans.Status = "degraded"
	}
}

var descHostSetting = prometheus.NewDesc("host_setting_ok",
	"1 when the host setting holds what this process' configuration (TUNING_TIER) needs, 0 when not. "+
		"Per process: in a cluster each worker reports its own (label worker); read it as min by (key).",
	[]string{"key"}, nil)

// hostCollector exports HostSettings at scrape time.
type hostCollector struct{ h HostChecker }

var _ prometheus.Collector = hostCollector{}

func (hostCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descHostSetting }

func (c hostCollector) Collect(ch chan<- prometheus.Metric) {
	for _, st := range c.h.HostSettings() {
		v := 0.0
		if st.OK {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(descHostSetting, prometheus.GaugeValue, v, st.Key)
	}
}

// hostCollectors answers the host collector when a HostChecker is set.
func (s *Server) hostCollectors() []prometheus.Collector {
	if s.d.Host == nil {
		return nil
	}
	return []prometheus.Collector{hostCollector{h: s.d.Host}}
}
