package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/pprof"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/callctl/callctl/admin"
	"github.com/callctl/callctl/agents"
	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/api"
	"github.com/callctl/callctl/api/oauth"
	"github.com/callctl/callctl/api/openapi"
	"github.com/callctl/callctl/api/rest"
	"github.com/callctl/callctl/api/users"
	"github.com/callctl/callctl/api/vipex"
	"github.com/callctl/callctl/api/voipsun"
	"github.com/callctl/callctl/ari"
	"github.com/callctl/callctl/callflow"
	"github.com/callctl/callctl/cdr/cdrfeed"
	"github.com/callctl/callctl/cdr/cdrstore"
	"github.com/callctl/callctl/extevents"
	"github.com/callctl/callctl/flow"
	"github.com/callctl/callctl/flowrun"
	"github.com/callctl/callctl/internal/connlimit"
	"github.com/callctl/callctl/natsink"
	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/pbxusers"
	"github.com/callctl/callctl/phonebook"
	"github.com/callctl/callctl/recording"
	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/webhook"
)

// Daemon is a wired callctl. New builds it and takes the database lock and
// the HTTP port; Run serves until its context ends.
type Daemon struct {
	cfg      Config
	log      zerolog.Logger
	registry *prometheus.Registry
	db       *store.DB
	dbOpen   atomic.Bool
	ami      *ami.Client
	ari      *ari.Client
	pbx      *pbx.Directory
	cdr      *cdrfeed.Feed
	core     *callflow.Core
	webhook  *webhook.Outbox
	nats     *natsink.Sink // nil: nats.url is not set
	events   *extevents.Service
	flows    flowrun.Flows
	flowMet  *flowrun.Metrics
	admin    *admin.Registry
	listener *connlimit.Listener
	mux      *http.ServeMux
}

// New opens the store, builds the components and binds the HTTP listener.
func New(cfg Config, log zerolog.Logger) (*Daemon, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &Daemon{cfg: cfg, log: log, registry: prometheus.NewRegistry(), mux: http.NewServeMux()}
	d.registry.MustRegister(collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
		// What the last collection found live, the GOGC that
		// gc_headroom_mib sets, where the process's memory goes (Go's
		// classes), and the collector's cycles and CPU: the load
		// test's breakdown.
		collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(
			`^/gc/(heap/live:bytes|gogc:percent|cycles/total:gc-cycles)$|^/memory/classes/|^/cpu/classes/gc/total:cpu-seconds$`)})),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	db, err := store.Open(cfg.DataDir, nil)
	if err != nil {
		return nil, err
	}
	d.db = db
	d.dbOpen.Store(true)
	d.ami = ami.New(cfg.AMI.Config, log, ami.NewMetrics(d.registry))
	d.ari = ari.New(cfg.ARI.Config, log, ari.NewMetrics(d.registry))
	if d.pbx, err = pbx.New(cfg.PBX); err != nil {
		db.Close()
		return nil, err
	}
	recs, err := recording.New(cfg.Recording)
	if err != nil {
		db.Close()
		return nil, err
	}
	whOpts, err := webhookOptions(cfg, recs, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	whOpts.Registerer = d.registry
	if d.webhook, err = webhook.New(db, cfg.Webhook, whOpts); err != nil {
		db.Close()
		return nil, err
	}
	if d.events, err = extevents.New(db, extevents.ExtensionsOf(d.pbx.Config()), d.webhook, cfg.Webhook.AllowLinkLocal); err != nil {
		db.Close()
		return nil, err
	}
	outboxes := []cdrfeed.Outbox{d.webhook, d.events}
	if cfg.NATS.Enabled() {
		if d.nats, err = natsink.New(db, cfg.NATS, natsink.Options{NodeID: cfg.NodeID, Location: whOpts.Location,
			Log: log, Registerer: d.registry}); err != nil {
			db.Close()
			return nil, err
		}
		outboxes = append(outboxes, d.nats)
	}
	if d.cdr, err = cdrfeed.New(cfg.CDR, d.ami, db, d.pbx, log, d.registry, cdrfeed.Options{Outbox: cdrfeed.Outboxes(outboxes...)}); err != nil {
		db.Close()
		return nil, err
	}
	flows := flow.NewStore(db)
	d.flows = flows
	warnShadowedFlows(log, cfg.PBX.Flows, flowLanguages{flows})
	d.core = callflow.New(cfg.Calls, callflow.Deps{AMI: d.ami, Directory: d.pbx, Live: d.cdr.View(), DB: db,
		Recordings: recs, Flows: flowLanguages{flows}, Log: log, Metrics: callflow.NewMetrics(d.registry)})
	d.flowMet = flowrun.NewMetrics(d.registry)
	d.admin = AdminCommands(cfg)
	// The daemon's own outbox runs the webhook commands, so that its
	// workers see a retry or a deleted client at once.
	for _, c := range webhook.AdminCommands(cfg.Webhook, whOpts, d.webhook) {
		d.admin.Add(c)
	}
	for _, c := range natsink.AdminCommands(cfg.NATS, d.nats) {
		d.admin.Add(c)
	}
	tokens := oauth.NewTokens(db, cfg.API.TokenTTL)
	apiServer := api.New(api.Options{Auth: users.NewAuthenticator(db, cfg.API.AuthCacheTTL),
		Tokens: tokens, TokenUnauthorized: oauth.ErrUnauthorized,
		MaxBodyBytes: cfg.HTTP.MaxBodyBytes, Log: log, Metrics: api.NewMetrics(d.registry)})
	apiServer.Mount(voipsun.Path, voipsun.New(api.ServicesOf(d.core)))
	loc, err := cfg.Location()
	if err != nil {
		db.Close()
		return nil, err
	}
	vx := vipex.New(api.ServicesOf(d.core), vipex.Options{SubscriptionID: cfg.VIPeX.SubscriptionID, Location: loc, References: d.webhook.References()})
	apiServer.Mount(vipex.PathRoot, vx)
	apiServer.Mount(vipex.PathAPI, vx)
	apiServer.Mount(rest.Path, rest.New(d.events))
	apiServer.MountHandler(oauth.Path, "oauth", &oauth.Handler{Tokens: tokens, Log: log})
	d.mux.Handle("/", apiServer)

	d.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	d.mux.HandleFunc("GET /readyz", d.serveReady)
	d.mux.Handle("GET "+openapi.PathPrefix, openapi.Handler())
	d.mux.Handle("GET /metrics", promhttp.HandlerFor(d.registry, promhttp.HandlerOpts{Registry: d.registry}))
	if cfg.Debug.Pprof {
		d.mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		d.mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	}

	d.listener, err = listenHTTP(cfg.HTTP, connCap(cfg.HTTP, raiseFileLimit(), log))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("http: %w", err)
	}
	registerConnMetrics(d.registry, d.listener)
	return d, nil
}

// AdminCommands returns every administrative command, for the daemon's
// socket and for the CLI when no daemon runs.
func AdminCommands(cfg Config) *admin.Registry {
	var cmds []admin.Command
	cmds = append(cmds, cdrstore.AdminCommands()...)
	cmds = append(cmds, users.AdminCommands()...)
	cmds = append(cmds, agents.AdminCommands()...)
	cmds = append(cmds, pbxusers.AdminCommands()...)
	cmds = append(cmds, phonebook.AdminCommands()...)
	cmds = append(cmds, natsink.AdminCommands(cfg.NATS, nil)...)
	cmds = append(cmds, oauth.AdminCommands()...)
	if dir, err := pbx.New(cfg.PBX); err == nil {
		cmds = append(cmds, flow.AdminCommands(dir)...)
	}
	if recs, err := recording.New(cfg.Recording); err == nil {
		if opts, err := webhookOptions(cfg, recs, zerolog.Nop()); err == nil {
			cmds = append(cmds, webhook.AdminCommands(cfg.Webhook, opts, nil)...)
		}
	}
	return admin.NewRegistry(cmds...)
}

// webhookOptions are the outbox's options from the configuration.
func webhookOptions(cfg Config, recs *recording.Store, log zerolog.Logger) (webhook.Options, error) {
	loc, err := cfg.Location()
	if err != nil {
		return webhook.Options{}, err
	}
	return webhook.Options{Location: loc, NodeID: cfg.NodeID, Recordings: recs, Log: log}, nil
}

// resyncForwards writes the stored call forwards and the phonebook's
// caller names to AstDB once AMI is
// first up (Asterisk may have lost them, or missed a change while callctl
// was down), retrying while it fails.
func (d *Daemon) resyncForwards(ctx context.Context, log zerolog.Logger) {
	for ctx.Err() == nil {
		wait := 200 * time.Millisecond
		if d.ami.Ready() {
			err := d.core.Forwards.Resync(ctx)
			if err == nil {
				err = d.core.Phonebook.Resync(ctx)
			}
			if err == nil {
				return
			}
			log.Warn().Err(err).Msg("writing the call forwards to AstDB; trying again")
			wait = 5 * time.Second
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}

// Webhook is the daemon's outbox (call flows ask data queries through it).
func (d *Daemon) Webhook() *webhook.Outbox { return d.webhook }

// NATS is the daemon's NATS JetStream sink (nil when nats.url is not set).
func (d *Daemon) NATS() *natsink.Sink { return d.nats }

// Addr is the HTTP listener's address.
func (d *Daemon) Addr() string { return d.listener.Addr().String() }

// AMI and ARI give tests the daemon's connections.
func (d *Daemon) AMI() *ami.Client { return d.ami }
func (d *Daemon) ARI() *ari.Client { return d.ari }

// Core is the daemon's core services.
func (d *Daemon) Core() *callflow.Core { return d.core }

// CDR is the daemon's CDR engine.
func (d *Daemon) CDR() *cdrfeed.Feed { return d.cdr }

// DB is the daemon's store.
func (d *Daemon) DB() *store.DB { return d.db }

// Run serves until ctx ends, then shuts down in order: stop accepting and
// drain HTTP requests, stop the connections and the admin socket, close the
// store.
func (d *Daemon) Run(ctx context.Context) error {
	log := d.log.With().Str("pkg", "daemon").Logger()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	start := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(runCtx); err != nil {
				errs <- fmt.Errorf("%s: %w", name, err)
				stop()
			}
		}()
	}
	start("cdr", d.cdr.Run)
	start("webhook", d.webhook.Run)
	if d.nats != nil {
		start("nats", d.nats.Run)
	}
	start("ami", d.ami.Run)
	runner := flowrun.New(d.cfg.Flows, flowrun.Deps{ARI: d.ari, Recovery: d.ari, Flows: d.flows, Directory: d.pbx,
		Forwards: d.core.Forwards, Webhooks: d.webhook, Live: d.cdr.View(), AMI: d.ami, Log: d.log, Metrics: d.flowMet})
	start("flowrun", runner.Run)
	start("ari", d.ari.Run)
	wg.Add(1)
	go func() {
		defer wg.Done()
		d.resyncForwards(runCtx, log)
	}()
	start("admin", func(ctx context.Context) error {
		return admin.Serve(ctx, d.cfg.AdminSocket(), d.db, d.admin, d.log)
	})

	srv := newHTTPServer(d.cfg.HTTP, d.mux)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(d.listener) }()
	log.Info().Str("http", d.Addr()).Str("data_dir", d.cfg.DataDir).Msg("callctl started")

	var err error
	select {
	case <-runCtx.Done():
	case err = <-serveErr:
		err = fmt.Errorf("http: %w", err)
	}
	log.Info().Msg("shutting down: draining HTTP requests")
	sctx, cancel := context.WithTimeout(context.Background(), d.cfg.HTTP.ShutdownTimeout)
	if serr := srv.Shutdown(sctx); serr != nil {
		log.Warn().Err(serr).Msg("HTTP requests still running at the shutdown deadline")
	}
	cancel()
	stop()
	wg.Wait()
	close(errs)
	for e := range errs {
		err = errors.Join(err, e)
	}
	d.dbOpen.Store(false)
	if cerr := d.db.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("store: %w", cerr))
	}
	log.Info().Err(err).Msg("callctl stopped")
	return err
}

// notReady lists why callctl cannot serve calls now; empty means ready.
func (d *Daemon) notReady() []string {
	var why []string
	switch {
	case !d.ami.Connected():
		why = append(why, "ami: not connected to Asterisk "+d.cfg.AMI.Addr)
	case !d.ami.Ready():
		why = append(why, "ami: Asterisk does not answer pings")
	}
	switch {
	case !d.ari.Connected():
		why = append(why, "ari: application "+d.cfg.ARI.App+" not registered at "+d.cfg.ARI.URL)
	case !d.ari.Ready():
		why = append(why, "ari: Asterisk does not answer")
	}
	if !d.dbOpen.Load() {
		why = append(why, "store: closed")
	}
	return why
}

func (d *Daemon) serveReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if why := d.notReady(); len(why) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, strings.Join(why, "\n"))
		return
	}
	fmt.Fprintln(w, "ready")
}

// flowLanguages is the flow store as callflow asks it for a technical
// extension's language (VIPeX outbound_ivr).
type flowLanguages struct{ s *flow.Store }

func (l flowLanguages) FlowLanguage(exten string) (string, bool, error) {
	f, ok, err := l.s.ByExten(exten)
	if err != nil || !ok {
		return "", false, err
	}
	if f.Language == "" {
		return flow.DefaultLanguage, true, nil
	}
	return f.Language, true, nil
}

// warnShadowedFlows logs the pbx.flows entries whose technical extension a
// stored flow has with another language: the stored flow's wins.
func warnShadowedFlows(log zerolog.Logger, entries []pbx.Flow, stored flowLanguages) {
	for _, e := range entries {
		lang, ok, err := stored.FlowLanguage(e.Exten)
		want := e.Language
		if want == "" {
			want = flow.DefaultLanguage
		}
		if err == nil && ok && lang != want {
			log.Warn().Str("exten", e.Exten).Str("pbx_flows_language", want).Str("flow_language", lang).
				Msg("pbx.flows: a stored flow has this technical extension; its language wins")
		}
	}
}
