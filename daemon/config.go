package daemon

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
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
	// to (100+GCPercent)% of what is live before a collection; 0 keeps
	// Go's default (100). 50 lowers the memory per call in progress by
	// about a quarter for about a tenth more CPU (measured with the feed's
	// replay benchmark and test/load/cps). The GOGC environment variable,
	// when set, wins.
	GCPercent int `yaml:"gc_percent" env:"GC_PERCENT"`
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
		AMI:       AMIConfig{Config: ami.DefaultConfig()},
		ARI:       ARIConfig{Config: ari.DefaultConfig()},
		PBX:       pbx.DefaultConfig(),
		CDR:       cdrfeed.DefaultConfig(),
		Recording: recording.Config{Roots: []string{"/var/spool/asterisk/monitor", "/var/spool/asterisk/recording"}},
		Calls:     callflow.DefaultConfig(),
		Flows:     flowrun.DefaultConfig(),
		API:       APIConfig{AuthCacheTTL: time.Minute, TokenTTL: time.Hour},
		MaxProcs:  1,
		NodeID:    hostname(),
		Webhook:   webhook.DefaultConfig(),
		NATS:      natsink.DefaultConfig(),
	}
}

func hostname() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "callctl"
}

// LoadConfig reads the YAML file at path ("" for none) over the defaults,
// applies the environment and validates the result.
func LoadConfig(path string, environ map[string]string) (Config, error) {
	cfg := DefaultConfig()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if err := env.ParseWithOptions(&cfg, env.Options{Prefix: "CALLCTL_", Environment: environ}); err != nil {
		return cfg, fmt.Errorf("config: environment: %w", err)
	}
	if err := readSecret(&cfg.AMI.Secret, cfg.AMI.SecretFile); err != nil {
		return cfg, err
	}
	if err := readSecret(&cfg.ARI.Password, cfg.ARI.PasswordFile); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

func readSecret(dst *string, file string) error {
	if file == "" {
		return nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("config: secret file: %w", err)
	}
	*dst = strings.TrimRight(string(data), "\r\n")
	return nil
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("config: data_dir is empty")
	}
	if _, err := c.Location(); err != nil {
		return fmt.Errorf("config: timezone: %w", err)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config: log.level %q: want debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "json", "console", "auto":
	default:
		return fmt.Errorf("config: log.format %q: want json, console or auto", c.Log.Format)
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		return fmt.Errorf("config: http.listen: %w", err)
	}
	if c.HTTP.MaxBodyBytes < 1024 || c.HTTP.ShutdownTimeout <= 0 {
		return errors.New("config: http.max_body_bytes must be at least 1024 and http.shutdown_timeout positive")
	}
	if c.HTTP.ReadTimeout <= 0 || c.HTTP.WriteTimeout <= 0 || c.HTTP.MaxConns < 1 || c.HTTP.HealthConns < 1 {
		return errors.New("config: http.read_timeout and http.write_timeout must be positive, http.max_conns and http.health_conns at least 1")
	}
	if err := c.AMI.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := c.ARI.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if _, err := pbx.New(c.PBX); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := c.Flows.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if _, err := cdr.NewRateTable(c.CDR.Rates); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := c.CDR.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := c.Recording.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if c.MaxProcs < 0 {
		return errors.New("config: max_procs must be 0 (every CPU) or more")
	}
	if c.GCPercent != 0 && (c.GCPercent < 10 || c.GCPercent > 1000) {
		return errors.New("config: gc_percent must be 0 (Go's default) or 10 to 1000")
	}
	if c.NodeID == "" || len(c.NodeID) > 255 || strings.ContainsFunc(c.NodeID, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return fmt.Errorf("config: node_id %q: want 1-255 printable characters", c.NodeID)
	}
	if err := c.Webhook.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := c.NATS.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// ApplyRuntime sets GOMAXPROCS and GOGC for the daemon process from
// MaxProcs and GCPercent, each unless its environment variable is set.
func (c Config) ApplyRuntime(environ map[string]string) {
	if _, set := environ["GOMAXPROCS"]; !set && c.MaxProcs != 0 {
		runtime.GOMAXPROCS(c.MaxProcs)
	}
	if _, set := environ["GOGC"]; !set && c.GCPercent != 0 {
		debug.SetGCPercent(c.GCPercent)
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
