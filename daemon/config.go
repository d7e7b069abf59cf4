package daemon

import (
	"errors"
	"fmt"
	"net"
	"os"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"gopkg.in/yaml.v3"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/ari"
	"github.com/callctl/callctl/callflow"
	"github.com/callctl/callctl/cdr"
	"github.com/callctl/callctl/cdr/cdrfeed"
	"github.com/callctl/callctl/flowrun"
	"github.com/callctl/callctl/natsink"
	"github.com/callctl/callctl/pbx"
	"github.com/callctl/callctl/recording"
	"github.com/callctl/callctl/webhook"
)

// Config is callctl's configuration: defaults, then the YAML file, then
// CALLCTL_* environment variables, then *_file secrets.
type Config struct {
	// DataDir holds the database and the admin socket.
	DataDir string `yaml:"data_dir" env:"DATA_DIR"`
	// TimeZone is the PBX's local zone for the seed formats' times ("Local"
	// or an IANA name such as Europe/Prague).
	TimeZone string      `yaml:"timezone" env:"TIMEZONE"`
	Log      LogConfig   `yaml:"log" envPrefix:"LOG_"`
	HTTP     HTTPConfig  `yaml:"http" envPrefix:"HTTP_"`
	AMI      AMIConfig   `yaml:"ami" envPrefix:"AMI_"`
	ARI      ARIConfig   `yaml:"ari" envPrefix:"ARI_"`
	Admin    AdminConfig `yaml:"admin" envPrefix:"ADMIN_"`
	// PBX describes the lines, trunks, outbound routes and queues.
	PBX pbx.Config `yaml:"pbx"`
	// CDR tunes the CDR engine (rates).
	CDR cdrfeed.Config `yaml:"cdr" envPrefix:"CDR_"`
	// Recording says where recordings may be written and moved.
	Recording recording.Config `yaml:"recording" envPrefix:"RECORDING_"`
	// Calls tunes the call actions (ring times, AMI deadlines).
	Calls callflow.Config `yaml:"calls" envPrefix:"CALLS_"`
	// Flows bounds the call flows callctl runs over ARI.
	Flows flowrun.Config `yaml:"flows" envPrefix:"FLOWS_"`
	// API configures the HTTP API dialects.
	API APIConfig `yaml:"api" envPrefix:"API_"`
	// MaxProcs is how many CPUs run callctl's Go code at once (GOMAXPROCS;
	// 0: every CPU). One keeps callctl off Asterisk's other cores and saves
	// the cost of waking threads for every event; the GOMAXPROCS
	// environment variable, when set, wins.
	MaxProcs int `yaml:"max_procs" env:"MAX_PROCS"`
	// GCPercent is the garbage collector's target (GOGC): the heap may grow
	// to (100+GCPercent)% of what is live before a collection; 0 leaves
	// it to GCHeadroomMiB (Go's 100 when that is 0). The GOGC environment
	// variable, when set, wins.
	GCPercent int `yaml:"gc_percent" env:"GC_PERCENT"`
	// GCHeadroomMiB, when GCPercent is 0, is the garbage collector's
	// headroom in MiB: after each collection GOGC is set so that the next
	// one comes when the heap has grown this much over what was live
	// (between 25% and 400% of it). A call in progress then costs its live
	// heap, not twice that as under GOGC 100 (measured with
	// test/load/cps). 0 keeps Go's proportional GOGC.
	GCHeadroomMiB int `yaml:"gc_headroom_mib" env:"GC_HEADROOM_MIB"`
	// Debug serves Go's profiles, for measuring callctl.
	Debug DebugConfig `yaml:"debug" envPrefix:"DEBUG_"`
	// NodeID names this PBX host on every call_end body (and event), for
	// fleets of hosts; default the host name.
	NodeID string `yaml:"node_id" env:"NODE_ID"`
	// Webhook tunes the outbound API clients' outbox.
	Webhook webhook.Config `yaml:"webhook" envPrefix:"WEBHOOK_"`
	// NATS publishes finished calls and call changes to NATS JetStream
	// (off while nats.url is empty).
	NATS natsink.Config `yaml:"nats" envPrefix:"NATS_"`
	// VIPeX configures the VIPeX rt=api dialect.
	VIPeX VIPeXConfig `yaml:"vipex" envPrefix:"VIPEX_"`
}

// VIPeXConfig configures the VIPeX dialect.
type VIPeXConfig struct {
	// SubscriptionID is the vipex_id requests must name; empty refuses
	// every request that names one.
	SubscriptionID string `yaml:"subscription_id" env:"SUBSCRIPTION_ID"`
}

// DebugConfig turns on diagnostics that are off in production.
type DebugConfig struct {
	// Pprof serves Go's runtime profiles at /debug/pprof/ on the HTTP
	// listener (heap, goroutines, CPU): anyone who reaches the listener
	// can read them.
	Pprof bool `yaml:"pprof" env:"PPROF"`
}

// APIConfig configures the HTTP API.
type APIConfig struct {
	// AuthCacheTTL is how long verified credentials are trusted without
	// checking the password hash again (bcrypt costs ~60 ms).
	AuthCacheTTL time.Duration `yaml:"auth_cache_ttl" env:"AUTH_CACHE_TTL"`
	// TokenTTL is how long an OAuth access token of the REST API lasts.
	TokenTTL time.Duration `yaml:"token_ttl" env:"TOKEN_TTL"`
}

// LogConfig selects the log level and format.
type LogConfig struct {
	Level string `yaml:"level" env:"LEVEL"` // debug, info, warn, error
	// Format: json, console, or auto (console on a terminal, else JSON).
	Format string `yaml:"format" env:"FORMAT"`
}

// HTTPConfig is the HTTP listener of the API, health and metrics.
type HTTPConfig struct {
	Listen          string        `yaml:"listen" env:"LISTEN"`
	MaxBodyBytes    int64         `yaml:"max_body_bytes" env:"MAX_BODY_BYTES"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout" env:"SHUTDOWN_TIMEOUT"`
	// ReadTimeout bounds reading a whole request, body included (a body
	// trickled in is cut off); WriteTimeout bounds a request from the end
	// of its headers to the end of its answer.
	ReadTimeout  time.Duration `yaml:"read_timeout" env:"READ_TIMEOUT"`
	WriteTimeout time.Duration `yaml:"write_timeout" env:"WRITE_TIMEOUT"`
	// MaxConns caps the connections open at once; HealthConns more are
	// kept for /healthz, /readyz and /metrics when the cap is reached.
	MaxConns    int `yaml:"max_conns" env:"MAX_CONNS"`
	HealthConns int `yaml:"health_conns" env:"HEALTH_CONNS"`
}

// AMIConfig is ami.Config plus a secret file.
type AMIConfig struct {
	ami.Config `yaml:",inline"`
	SecretFile string `yaml:"secret_file" env:"SECRET_FILE"`
}

// ARIConfig is ari.Config plus a password file.
type ARIConfig struct {
	ari.Config   `yaml:",inline"`
	PasswordFile string `yaml:"password_file" env:"PASSWORD_FILE"`
}

// AdminConfig is the local admin socket used by the CLI while the daemon runs.
type AdminConfig struct {
	// Socket is the unix socket path; "" means admin.sock in the data dir.
	Socket string `yaml:"socket" env:"SOCKET"`
}

// DefaultConfig works against the test bed's Asterisk on 127.0.0.1.
func DefaultConfig() Config {
	return Config{
		DataDir:  "./data",
		TimeZone: "Local",
		Log:      LogConfig{Level: "info", Format: "auto"},
		HTTP: HTTPConfig{
			Listen:          "127.0.0.1:8080",
			MaxBodyBytes:    1 << 20,
			ShutdownTimeout: 10 * time.Second,
			ReadTimeout:     30 * time.Second,
			WriteTimeout:    2 * time.Minute,
			MaxConns:        2000,
			HealthConns:     16,
		},
		AMI:           AMIConfig{Config: ami.DefaultConfig()},
		ARI:           ARIConfig{Config: ari.DefaultConfig()},
		PBX:           pbx.DefaultConfig(),
		CDR:           cdrfeed.DefaultConfig(),
		Recording:     recording.Config{Roots: []string{"/var/spool/asterisk/monitor", "/var/spool/asterisk/recording"}},
		Calls:         callflow.DefaultConfig(),
		Flows:         flowrun.DefaultConfig(),
		API:           APIConfig{AuthCacheTTL: time.Minute, TokenTTL: time.Hour},
		MaxProcs:      1,
		GCHeadroomMiB: 4,
		NodeID:        hostname(),
		Webhook:       webhook.DefaultConfig(),
		NATS:          natsink.DefaultConfig(),
	}
}

func hostname() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "callctl"
}

// LoadConfig reads the YAML file at path ("" for none) over the defaults,
// applies the environment and validates the result. Its error is a
// *ConfigError that lists every problem found.
func LoadConfig(path string, environ map[string]string) (Config, error) {
	cfg, problems := CheckConfig(path, environ)
	if len(problems) > 0 {
		return cfg, &ConfigError{Path: path, Problems: problems}
	}
	return cfg, nil
}

// ConfigError lists the problems of a configuration, each a line that names
// the key (and the file's line where it has one).
type ConfigError struct {
	Path     string
	Problems []string
}

func (e *ConfigError) Error() string {
	where := "config"
	if e.Path != "" {
		where += " " + e.Path
	}
	if len(e.Problems) == 1 {
		return where + ": " + e.Problems[0]
	}
	return fmt.Sprintf("%s: %d problems:\n  %s", where, len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// CheckConfig is LoadConfig that goes on past the first problem: it
// returns the configuration as far as it could be read and every problem
// found (unknown keys with their lines, values that do not parse, bad
// environment variables, unreadable secret files, invalid settings). It
// does not reach out to Asterisk: see CheckConnections.
func CheckConfig(path string, environ map[string]string) (Config, []string) {
	cfg := DefaultConfig()
	var problems []string
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return cfg, []string{err.Error()}
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return cfg, []string{strings.TrimPrefix(err.Error(), "yaml: ")}
		}
		if len(doc.Content) > 0 {
			root := doc.Content[0]
			if root.Kind != yaml.MappingNode && !(root.Kind == yaml.ScalarNode && root.Tag == "!!null") {
				return cfg, []string{fmt.Sprintf("line %d: the file must be a mapping of keys (data_dir: ..., http: ...)", root.Line)}
			}
			problems = append(problems, unknownKeys(root, reflect.TypeOf(cfg), "")...)
			if err := root.Decode(&cfg); err != nil {
				var te *yaml.TypeError
				if !errors.As(err, &te) {
					return cfg, append(problems, err.Error())
				}
				problems = append(problems, te.Errors...)
			}
		}
	}
	if err := env.ParseWithOptions(&cfg, env.Options{Prefix: "CALLCTL_", Environment: environ}); err != nil {
		var agg env.AggregateError
		if errors.As(err, &agg) {
			for _, e := range agg.Errors {
				problems = append(problems, "environment: "+e.Error())
			}
		} else {
			problems = append(problems, "environment: "+err.Error())
		}
	}
	if cfg.NodeID == "" {
		cfg.NodeID = hostname()
	}
	if err := readSecret(&cfg.AMI.Secret, cfg.AMI.SecretFile); err != nil {
		problems = append(problems, "ami.secret_file: "+err.Error())
	}
	if err := readSecret(&cfg.ARI.Password, cfg.ARI.PasswordFile); err != nil {
		problems = append(problems, "ari.password_file: "+err.Error())
	}
	return cfg, append(problems, cfg.problems()...)
}

// unknownKeys lists the keys of the mapping n that t (a struct with yaml
// tags) does not have, with their lines, and those of the mappings below.
func unknownKeys(n *yaml.Node, t reflect.Type, prefix string) []string {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	fields := map[string]reflect.Type{}
	collectFields(t, fields)
	var problems []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		ft, ok := fields[k.Value]
		if !ok {
			p := fmt.Sprintf("line %d: unknown key %q", k.Line, prefix+k.Value)
			if s := closest(k.Value, fields); s != "" {
				p += fmt.Sprintf(" (did you mean %q?)", prefix+s)
			}
			problems = append(problems, p)
			continue
		}
		switch {
		case ft.Kind() == reflect.Struct && ft != reflect.TypeOf(time.Duration(0)):
			problems = append(problems, unknownKeys(v, ft, prefix+k.Value+".")...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct && v.Kind == yaml.SequenceNode:
			for j, e := range v.Content {
				problems = append(problems, unknownKeys(e, ft.Elem(), fmt.Sprintf("%s%s[%d].", prefix, k.Value, j))...)
			}
		}
	}
	return problems
}

func collectFields(t reflect.Type, fields map[string]reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case !f.IsExported() || name == "-":
		case opts == "inline":
			collectFields(f.Type, fields)
		case name == "":
			fields[strings.ToLower(f.Name)] = f.Type
		default:
			fields[name] = f.Type
		}
	}
}

// closest returns the key of fields nearest to name (at most two edits
// away), or "".
func closest(name string, fields map[string]reflect.Type) string {
	best, bestD := "", 3
	for f := range fields {
		if d := editDistance(name, f); d < bestD || (d == bestD && f < best) {
			best, bestD = f, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func readSecret(dst *string, file string) error {
	if file == "" {
		return nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	*dst = strings.TrimRight(string(data), "\r\n")
	return nil
}

// Validate reports every invalid setting (nil when there is none).
func (c Config) Validate() error {
	if p := c.problems(); len(p) > 0 {
		return &ConfigError{Problems: p}
	}
	return nil
}

// problems lists the invalid settings, one line each.
func (c Config) problems() []string {
	var ps []string
	add := func(err error) {
		if err != nil {
			ps = append(ps, strings.TrimPrefix(err.Error(), "config: "))
		}
	}
	if c.DataDir == "" {
		add(errors.New("data_dir is empty"))
	}
	if _, err := c.Location(); err != nil {
		add(fmt.Errorf("timezone: %w", err))
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		add(fmt.Errorf("log.level %q: want debug, info, warn or error", c.Log.Level))
	}
	switch c.Log.Format {
	case "json", "console", "auto":
	default:
		add(fmt.Errorf("log.format %q: want json, console or auto", c.Log.Format))
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		add(fmt.Errorf("http.listen: %w", err))
	}
	if c.HTTP.MaxBodyBytes < 1024 || c.HTTP.ShutdownTimeout <= 0 {
		add(errors.New("http.max_body_bytes must be at least 1024 and http.shutdown_timeout positive"))
	}
	if c.HTTP.ReadTimeout <= 0 || c.HTTP.WriteTimeout <= 0 || c.HTTP.MaxConns < 1 || c.HTTP.HealthConns < 1 {
		add(errors.New("http.read_timeout and http.write_timeout must be positive, http.max_conns and http.health_conns at least 1"))
	}
	add(c.AMI.Validate())
	add(c.ARI.Validate())
	if _, err := pbx.New(c.PBX); err != nil {
		add(err)
	}
	add(c.Flows.Validate())
	if _, err := cdr.NewRateTable(c.CDR.Rates); err != nil {
		add(err)
	}
	add(c.CDR.Validate())
	add(c.Recording.Validate())
	if c.MaxProcs < 0 {
		add(errors.New("max_procs must be 0 (every CPU) or more"))
	}
	if c.GCPercent != 0 && (c.GCPercent < 10 || c.GCPercent > 1000) {
		add(errors.New("gc_percent must be 0 (Go's default) or 10 to 1000"))
	}
	if c.GCHeadroomMiB < 0 || c.GCHeadroomMiB > 4096 {
		add(errors.New("gc_headroom_mib must be 0 (off) to 4096"))
	}
	if c.NodeID == "" || len(c.NodeID) > 255 || strings.ContainsFunc(c.NodeID, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		add(fmt.Errorf("node_id %q: want 1-255 printable characters", c.NodeID))
	}
	add(c.Webhook.Validate())
	add(c.NATS.Validate())
	return ps
}

// ApplyRuntime sets GOMAXPROCS and GOGC for the daemon process from
// MaxProcs and GCPercent (or GCHeadroomMiB), each unless its environment
// variable is set.
func (c Config) ApplyRuntime(environ map[string]string) {
	if _, set := environ["GOMAXPROCS"]; !set && c.MaxProcs != 0 {
		runtime.GOMAXPROCS(c.MaxProcs)
	}
	if _, set := environ["GOGC"]; !set {
		switch {
		case c.GCPercent != 0:
			debug.SetGCPercent(c.GCPercent)
		case c.GCHeadroomMiB > 0:
			startGCHeadroom(uint64(c.GCHeadroomMiB) << 20)
		}
	}
}

// Location returns the configured time zone.
func (c Config) Location() (*time.Location, error) {
	if c.TimeZone == "" || c.TimeZone == "Local" {
		return time.Local, nil
	}
	return time.LoadLocation(c.TimeZone)
}

// AdminSocket returns the admin socket's path.
func (c Config) AdminSocket() string {
	if c.Admin.Socket != "" {
		return c.Admin.Socket
	}
	return strings.TrimRight(c.DataDir, "/") + "/admin.sock"
}
