package ari

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the ARI connection's Prometheus metrics.
type Metrics struct {
	connected       prometheus.Gauge
	reconnects      prometheus.Counter
	restarts        prometheus.Counter
	eventsReceived  prometheus.Counter
	eventsDropped   *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
}

// NewMetrics registers the metrics with reg; a nil reg keeps them unregistered.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "callctl", Subsystem: "ari", Name: "connected",
			Help: "1 while the Stasis application's websocket is up.",
		}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "callctl", Subsystem: "ari", Name: "reconnects_total",
			Help: "Websocket sessions established after the first one.",
		}),
		restarts: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "callctl", Subsystem: "ari", Name: "asterisk_restarts_total",
			Help: "Asterisk restarts noticed (changed startup time).",
		}),
		eventsReceived: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "callctl", Subsystem: "ari", Name: "events_received_total",
			Help: "ARI events received from Asterisk.",
		}),
		eventsDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "callctl", Subsystem: "ari", Name: "events_dropped_total",
			Help: "ARI events dropped because a subscriber's queue was full.",
		}, []string{"subscriber"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "callctl", Subsystem: "ari", Name: "request_duration_seconds",
			Help:    "Duration of ARI REST calls.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"operation", "result"}),
	}
	if reg != nil {
		reg.MustRegister(m.connected, m.reconnects, m.restarts, m.eventsReceived, m.eventsDropped, m.requestDuration)
	}
	return m
}
