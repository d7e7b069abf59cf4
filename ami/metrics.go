package ami

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the AMI connection's Prometheus metrics.
type Metrics struct {
	connected      prometheus.Gauge
	reconnects     prometheus.Counter
	eventsReceived prometheus.Counter
	eventsDropped  *prometheus.CounterVec
	truncated      prometheus.Counter
	actionDuration *prometheus.HistogramVec
}

// NewMetrics registers the metrics with reg; a nil reg keeps them unregistered.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "callctl", Subsystem: "ami", Name: "connected",
			Help: "1 while the AMI session is up.",
		}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "callctl", Subsystem: "ami", Name: "reconnects_total",
			Help: "AMI sessions established after the first one.",
		}),
		eventsReceived: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "callctl", Subsystem: "ami", Name: "events_received_total",
			Help: "AMI events received from Asterisk.",
		}),
		eventsDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "callctl", Subsystem: "ami", Name: "events_dropped_total",
			Help: "AMI events dropped because a subscriber's queue was full.",
		}, []string{"subscriber"}),
		truncated: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "callctl", Subsystem: "ami", Name: "truncated_events_total",
			Help: "AMI events with a line cut at 4,096 bytes by the reader.",
		}),
		actionDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "callctl", Subsystem: "ami", Name: "action_duration_seconds",
			Help:    "Time from sending an AMI action to its complete response.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"action", "result"}),
	}
	if reg != nil {
		reg.MustRegister(m.connected, m.reconnects, m.eventsReceived, m.eventsDropped, m.truncated, m.actionDuration)
	}
	return m
}
