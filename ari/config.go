package ari

import (
	"errors"
	"net/url"
	"time"
)

// Config is the ARI connection's configuration.
type Config struct {
	// URL is the ARI base URL, e.g. http://127.0.0.1:8088/ari.
	URL      string `yaml:"url" env:"URL"`
	Username string `yaml:"username" env:"USERNAME"`
	Password string `yaml:"password" env:"PASSWORD"`
	// App is the Stasis application callctl registers.
	App string `yaml:"app" env:"APP"`
	// RequestTimeout bounds every REST call whose context has no earlier deadline.
	RequestTimeout time.Duration `yaml:"request_timeout" env:"REQUEST_TIMEOUT"`
	// WatchdogInterval is how often /asterisk/info is checked.
	WatchdogInterval time.Duration `yaml:"watchdog_interval" env:"WATCHDOG_INTERVAL"`
	// MaxBackoff caps the delay between websocket reconnect attempts.
	MaxBackoff time.Duration `yaml:"max_backoff" env:"MAX_BACKOFF"`
	// QueueSize is the number of events each subscriber may have waiting.
	QueueSize int `yaml:"queue_size" env:"QUEUE_SIZE"`
}

// DefaultConfig returns the configuration of the test bed's local Asterisk.
func DefaultConfig() Config {
	return Config{
		URL:              "http://127.0.0.1:8088/ari",
		Username:         "callctl",
		Password:         "callctl",
		App:              "callctl",
		RequestTimeout:   5 * time.Second,
		WatchdogInterval: 2 * time.Second,
		MaxBackoff:       2 * time.Second,
		QueueSize:        10000,
	}
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("ari.url: want http(s)://host:port/ari")
	}
	if c.App == "" || !safeID(c.App) {
		return errors.New("ari.app: want letters, digits, '.', '_' or '-'")
	}
	if c.RequestTimeout <= 0 || c.WatchdogInterval <= 0 || c.MaxBackoff <= 0 {
		return errors.New("ari.request_timeout, ari.watchdog_interval and ari.max_backoff must be positive")
	}
	if c.QueueSize < 1 {
		return errors.New("ari.queue_size must be at least 1")
	}
	return nil
}
