package callflow

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the core's metrics.
type Metrics struct {
	originated *prometheus.CounterVec
}

// NewMetrics registers the metrics with reg; reg may be nil (nothing is
// exported).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		originated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "callctl", Subsystem: "calls", Name: "originate_total",
			Help: "Calls started (click-to-call, dial, spying) by core action and outcome: answered, failed, unknown.",
		}, []string{"action", "result"}),
	}
	for _, a := range []Action{ActionClickToCall, ActionDialToContext, ActionSpy} {
		for _, r := range []Result{ResultAnswered, ResultFailed, ResultUnknown} {
			m.originated.WithLabelValues(string(a), string(r))
		}
	}
	if reg != nil {
		reg.MustRegister(m.originated)
	}
	return m
}
