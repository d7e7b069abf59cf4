package flowrun

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the runner's Prometheus metrics.
type Metrics struct {
	running        prometheus.Gauge
	steps          *prometheus.CounterVec
	errors         *prometheus.CounterVec
	fallbacks      *prometheus.CounterVec
	recovered      *prometheus.CounterVec
	queryFallbacks prometheus.Counter
	eventsDropped  prometheus.Counter
	extensionCalls prometheus.Counter
}

// NewMetrics registers the metrics with reg; a nil reg keeps them unregistered.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		running: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "callctl", Subsystem: "flowrun", Name: "calls_running",
			Help: "Calls whose flow callctl is running now.",
		}),
		steps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "callctl", Subsystem: "flowrun", Name: "steps_total",
			Help: "Flow steps run, by kind.",
		}, []string{"kind"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "callctl", Subsystem: "flowrun", Name: "errors_total",
			Help: "Flow steps that failed, by kind (start: the flow could not start; step_budget: too many steps).",
		}, []string{"kind"}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "callctl", Subsystem: "flowrun", Name: "fallbacks_total",
			Help: "Calls sent to the dialplan's static destination, by reason (busy: over flows.max_calls; no_flow).",
		}, []string{"reason"}),
		recovered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "callctl", Subsystem: "flowrun", Name: "recovered_total",
			Help: "Calls found in Stasis with no flow running after an ARI (re)connect, by what became of them (default: the flow's default step; static: the DID's static destination; hangup: cause 41; busy: over flows.max_calls), and gone: flows ended because their channel left Stasis while the websocket was down.",
		}, []string{"action"}),
		queryFallbacks: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "callctl", Subsystem: "flowrun", Name: "query_fallbacks_total",
			Help: "Query steps that took their fallback (timeout, error, an answer that matched nothing).",
		}),
		eventsDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "callctl", Subsystem: "flowrun", Name: "events_dropped_total",
			Help: "ARI events (keys, playback ends) dropped because a call's queue was full.",
		}),
		extensionCalls: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "callctl", Subsystem: "flowrun", Name: "extension_calls_total",
			Help: "Extension-to-extension calls the built-in flow rang (Stasis exten,<number>).",
		}),
	}
	for _, k := range []string{"notify", "query", "menu", "tag", "ring", "queue", "voicemail", "playback", "say_digits", "goto", "hangup"} {
		m.steps.WithLabelValues(k)
	}
	m.fallbacks.WithLabelValues("busy")
	m.fallbacks.WithLabelValues("no_flow")
	for _, a := range []string{"default", "static", "hangup", "busy", "gone"} {
		m.recovered.WithLabelValues(a)
	}
	if reg != nil {
		reg.MustRegister(m.running, m.steps, m.errors, m.fallbacks, m.recovered, m.queryFallbacks, m.eventsDropped, m.extensionCalls)
	}
	return m
}
