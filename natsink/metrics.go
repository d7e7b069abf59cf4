package natsink

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	published *prometheus.CounterVec
	latency   prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer, q *queue) *metrics {
	m := &metrics{
		published: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "callctl", Subsystem: "nats", Name: "published_total",
			Help: "Publishes to NATS JetStream by result (acked, duplicate: the stream had it, error)."}, []string{"result"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "callctl", Subsystem: "nats", Name: "ack_latency_seconds",
			Help:    "Time from a change's commit to the stream's acknowledgement.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 60, 600}}),
	}
	for _, r := range []string{"acked", "duplicate", "error"} {
		m.published.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(m.published, m.latency,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "callctl", Subsystem: "nats", Name: "pending",
				Help: "Messages waiting for the stream's acknowledgement."}, func() float64 {
				n, _ := q.stats()
				return float64(n)
			}),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "callctl", Subsystem: "nats", Name: "oldest_pending_age_seconds",
				Help: "Age of the oldest waiting message (0: none)."}, func() float64 {
				_, oldest := q.stats()
				if oldest.IsZero() {
					return 0
				}
				return time.Since(oldest).Seconds()
			}))
	}
	return m
}
