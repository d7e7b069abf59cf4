package webhook

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	deliveries *prometheus.CounterVec
	attempts   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer, s *scheduler) *metrics {
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "callctl", Subsystem: "webhook", Name: "deliveries_total",
			Help: "Deliveries that ended, by kind and result (delivered, failed)."}, []string{"kind", "result"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "callctl", Subsystem: "webhook", Name: "attempts_total",
			Help: "Delivery attempts and data queries, by kind and outcome (ok, network, timeout, status, refused, render, gone, shutdown)."}, []string{"kind", "reason"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "callctl", Subsystem: "webhook", Name: "attempt_duration_seconds",
			Help: "Time of one attempt, rendering and sending.", Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"kind"}),
	}
	for _, k := range []string{KindCallEnd, KindCallNotify, KindDataQuery, kindEvent} {
		for _, r := range []string{StateDelivered, StateFailed} {
			m.deliveries.WithLabelValues(k, r)
		}
		m.attempts.WithLabelValues(k, string(ReasonOK))
		m.latency.WithLabelValues(k)
	}
	if reg != nil {
		reg.MustRegister(m.deliveries, m.attempts, m.latency,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "callctl", Subsystem: "webhook", Name: "pending",
				Help: "Deliveries waiting to be delivered (failed ones not counted)."}, func() float64 {
				n, _ := s.stats()
				return float64(n)
			}),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "callctl", Subsystem: "webhook", Name: "oldest_pending_age_seconds",
				Help: "Age of the oldest pending delivery (0: none)."}, func() float64 {
				_, oldest := s.stats()
				if oldest.IsZero() {
					return 0
				}
				return time.Since(oldest).Seconds()
			}))
	}
	return m
}

func (m *metrics) attempt(kind string, reason Reason, d time.Duration) {
	m.attempts.WithLabelValues(kind, string(reason)).Inc()
	m.latency.WithLabelValues(kind).Observe(d.Seconds())
}

func (m *metrics) final(kind, state string) { m.deliveries.WithLabelValues(kind, state).Inc() }
