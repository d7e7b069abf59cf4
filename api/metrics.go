package api

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the request metrics every dialect shares.
type Metrics struct {
	duration *prometheus.HistogramVec
}

// NewMetrics registers the request metrics with reg, once: on a registry
// that has them already (a second server, a test), it returns the ones
// registered. reg may be nil (nothing is exported).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "callctl", Subsystem: "api", Name: "request_duration_seconds",
		Help:    "Duration of API requests by dialect, the dialect's action and result (see api.Result).",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"dialect", "action", "result"})
	if reg != nil {
		if err := reg.Register(h); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				panic(err) // a programming error, as MustRegister
			}
			h = are.ExistingCollector.(*prometheus.HistogramVec)
		}
	}
	return &Metrics{duration: h}
}

func (m *Metrics) observe(dialect, action, result string, d time.Duration) {
	m.duration.WithLabelValues(dialect, action, result).Observe(d.Seconds())
}
