package natsink

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Config is the nats: section of callctl's configuration. The sink is off
// while URL is empty.
type Config struct {
	// URL is the server, or several servers of a cluster separated by
	// commas: nats://host:4222,nats://other:4222 (tls:// for TLS).
	URL string `yaml:"url" env:"URL"`
	// User and Password, or Token, or CredsFile (a .creds file with a JWT
	// and an NKey seed): at most one kind.
	User         string    `yaml:"user" env:"USER"`
	Password     string    `yaml:"password" env:"PASSWORD"`
	PasswordFile string    `yaml:"password_file" env:"PASSWORD_FILE"`
	Token        string    `yaml:"token" env:"TOKEN"`
	TokenFile    string    `yaml:"token_file" env:"TOKEN_FILE"`
	CredsFile    string    `yaml:"creds_file" env:"CREDS_FILE"`
	TLS          TLSConfig `yaml:"tls" envPrefix:"TLS_"`
	// Stream is the JetStream stream; callctl creates it when it is
	// missing (subjects callctl.>, file storage, Replicas copies) and
	// otherwise uses it as it is.
	Stream   string `yaml:"stream" env:"STREAM"`
	Replicas int    `yaml:"replicas" env:"REPLICAS"`
	// Duplicates is the duplicate window of a stream callctl creates: a
	// message sent again within it (after a crash) is stored once.
	Duplicates time.Duration `yaml:"duplicates" env:"DUPLICATES"`
	// AckTimeout is how long a publish waits for the server's
	// acknowledgement before it is tried again.
	AckTimeout time.Duration `yaml:"ack_timeout" env:"ACK_TIMEOUT"`
	// MaxInFlight bounds the messages published and not yet acknowledged.
	MaxInFlight int `yaml:"max_in_flight" env:"MAX_IN_FLIGHT"`
}

// TLSConfig is the client side of TLS: the servers' CA, and a client
// certificate when the servers ask for one.
type TLSConfig struct {
	CA   string `yaml:"ca" env:"CA"`
	Cert string `yaml:"cert" env:"CERT"`
	Key  string `yaml:"key" env:"KEY"`
}

// DefaultConfig is off, with the defaults of the other settings.
func DefaultConfig() Config {
	return Config{Stream: "CALLCTL", Replicas: 1, Duplicates: 2 * time.Minute, AckTimeout: 5 * time.Second, MaxInFlight: 256}
}

// Enabled reports whether a server is configured.
func (c Config) Enabled() bool { return strings.TrimSpace(c.URL) != "" }

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	auth := 0
	if c.User != "" {
		auth++
	}
	if c.Token != "" || c.TokenFile != "" {
		auth++
	}
	if c.CredsFile != "" {
		auth++
	}
	switch {
	case auth > 1:
		return errors.New("nats: user/password, token and creds_file exclude each other")
	case c.Password != "" && c.PasswordFile != "", c.Token != "" && c.TokenFile != "":
		return errors.New("nats: a secret and its _file exclude each other")
	case c.Stream == "" || strings.ContainsAny(c.Stream, ".*> \t\r\n"):
		return fmt.Errorf("nats.stream %q: want a name without '.', '*', '>' or spaces", c.Stream)
	case c.Replicas < 1 || c.Replicas > 5:
		return fmt.Errorf("nats.replicas %d: want 1 to 5", c.Replicas)
	case c.Duplicates < 0:
		return errors.New("nats.duplicates must not be negative")
	case c.AckTimeout < 100*time.Millisecond:
		return fmt.Errorf("nats.ack_timeout %s: want at least 100ms", c.AckTimeout)
	case c.MaxInFlight < 1 || c.MaxInFlight > 4096:
		return fmt.Errorf("nats.max_in_flight %d: want 1 to 4096", c.MaxInFlight)
	case (c.TLS.Cert == "") != (c.TLS.Key == ""):
		return errors.New("nats.tls: cert and key go together")
	}
	for _, u := range strings.Split(c.URL, ",") {
		if u = strings.TrimSpace(u); u == "" || strings.ContainsAny(u, " \r\n") {
			return fmt.Errorf("nats.url %q: want URLs separated by commas", c.URL)
		}
	}
	return nil
}

// options are the client's connection options from c.
func (c Config) options() ([]nats.Option, error) {
	var opts []nats.Option
	readFile := func(name string) (string, error) {
		data, err := os.ReadFile(name)
		if err != nil {
			return "", fmt.Errorf("nats: %w", err)
		}
		return strings.TrimRight(string(data), "\r\n"), nil
	}
	switch {
	case c.User != "":
		pass := c.Password
		if c.PasswordFile != "" {
			var err error
			if pass, err = readFile(c.PasswordFile); err != nil {
				return nil, err
			}
		}
		opts = append(opts, nats.UserInfo(c.User, pass))
	case c.Token != "" || c.TokenFile != "":
		token := c.Token
		if c.TokenFile != "" {
			var err error
			if token, err = readFile(c.TokenFile); err != nil {
				return nil, err
			}
		}
		opts = append(opts, nats.Token(token))
	case c.CredsFile != "":
		if _, err := os.Stat(c.CredsFile); err != nil {
			return nil, fmt.Errorf("nats: %w", err)
		}
		opts = append(opts, nats.UserCredentials(c.CredsFile))
	}
	if c.TLS.CA != "" || c.TLS.Cert != "" {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if c.TLS.CA != "" {
			pem, err := os.ReadFile(c.TLS.CA)
			if err != nil {
				return nil, fmt.Errorf("nats: tls.ca: %w", err)
			}
			tc.RootCAs = x509.NewCertPool()
			if !tc.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("nats: tls.ca %s: no certificate", c.TLS.CA)
			}
		}
		if c.TLS.Cert != "" {
			cert, err := tls.LoadX509KeyPair(c.TLS.Cert, c.TLS.Key)
			if err != nil {
				return nil, fmt.Errorf("nats: tls: %w", err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		opts = append(opts, nats.Secure(tc))
	}
	return opts, nil
}
