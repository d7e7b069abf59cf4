package daemon

import (
	"context"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/callctl/callctl/internal/connlimit"
)

// fdMargin is how many file descriptors are kept beyond the HTTP
// connections: the store, AMI and ARI, webhooks, the admin socket, logs.
const fdMargin = 256

// raiseFileLimit raises the soft limit of open files to the hard limit
// and returns the soft limit in force (0 if unknown).
func raiseFileLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	if lim.Cur < lim.Max {
		raised := lim
		raised.Cur = lim.Max
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			lim = raised
		}
	}
	return lim.Cur
}

// connCap is the HTTP connection cap: the configured one, lowered to fit
// the file limit.
func connCap(cfg HTTPConfig, fileLimit uint64, log zerolog.Logger) int {
	n := cfg.MaxConns
	if fileLimit == 0 {
		return n
	}
	if room := int64(fileLimit) - fdMargin - int64(cfg.HealthConns); room < int64(n) {
		n = int(max(room, 1))
		log.Warn().Int("http_max_conns", cfg.MaxConns).Uint64("open_files_limit", fileLimit).Int("lowered_to", n).
			Msg("http.max_conns does not fit the open files limit")
	}
	return n
}

// listenHTTP binds the HTTP listener with its connection cap.
func listenHTTP(cfg HTTPConfig, maxConns int) (*connlimit.Listener, error) {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, err
	}
	return connlimit.New(ln, maxConns, cfg.HealthConns), nil
}

// registerConnMetrics exports the listener's open and refused connections.
func registerConnMetrics(reg prometheus.Registerer, l *connlimit.Listener) {
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "callctl_http_connections_open",
			Help: "HTTP connections open now (reserve included)."}, func() float64 { return float64(l.Open()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "callctl_http_connections_refused_total",
			Help: "HTTP connections closed at once: the cap and the health reserve were full."}, func() float64 { return float64(l.Refused()) }),
	)
}

type reserveKey struct{}

// newHTTPServer is the daemon's HTTP server on h: every read and write
// bounded in time, and only health endpoints on reserve connections.
func newHTTPServer(cfg HTTPConfig, h http.Handler) *http.Server {
	return &http.Server{
		Handler:           healthOnReserve(h),
		ReadHeaderTimeout: min(10*time.Second, cfg.ReadTimeout),
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if connlimit.IsReserve(c) {
				return context.WithValue(ctx, reserveKey{}, true)
			}
			return ctx
		},
	}
}

// healthOnReserve answers, on a connection of the reserve (the cap is
// reached), only the health endpoints, once; anything else gets 503.
func healthOnReserve(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Context().Value(reserveKey{}) == nil {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Connection", "close")
		switch r.URL.Path {
		case "/healthz", "/readyz", "/metrics":
			h.ServeHTTP(w, r)
		default:
			w.Header().Set("Retry-After", "1")
			http.Error(w, "too many connections; try again later", http.StatusServiceUnavailable)
		}
	})
}
