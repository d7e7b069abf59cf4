package ami

import (
	"errors"
	"net"
	"time"
)

// Config is the AMI connection's configuration.
type Config struct {
	// Addr is Asterisk's manager address, host:port.
	Addr     string `yaml:"addr" env:"ADDR"`
	Username string `yaml:"username" env:"USERNAME"`
	Secret   string `yaml:"secret" env:"SECRET"`
	// QueueSize is the number of events each subscriber may have waiting.
	QueueSize int `yaml:"queue_size" env:"QUEUE_SIZE"`
	// MaxPending is the number of actions that may wait to be sent.
	MaxPending int `yaml:"max_pending" env:"MAX_PENDING"`
	// DialTimeout bounds each TCP connect attempt.
	DialTimeout time.Duration `yaml:"dial_timeout" env:"DIAL_TIMEOUT"`
	// PingInterval is how often Asterisk is pinged to check it answers.
	PingInterval time.Duration `yaml:"ping_interval" env:"PING_INTERVAL"`
}

// DefaultConfig returns the configuration of the test bed's local Asterisk.
func DefaultConfig() Config {
	return Config{
		Addr:         "127.0.0.1:5038",
		Username:     "callctl",
		Secret:       "callctl",
		QueueSize:    10000,
		MaxPending:   256,
		DialTimeout:  2 * time.Second,
		PingInterval: 5 * time.Second,
	}
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return errors.New("ami.addr: want host:port: " + err.Error())
	}
	if c.Username == "" {
		return errors.New("ami.username is empty")
	}
	if c.QueueSize < 1 || c.MaxPending < 1 {
		return errors.New("ami.queue_size and ami.max_pending must be at least 1")
	}
	if c.DialTimeout <= 0 || c.PingInterval <= 0 {
		return errors.New("ami.dial_timeout and ami.ping_interval must be positive")
	}
	return nil
}
