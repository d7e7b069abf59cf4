package recording

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Config says where recordings live.
type Config struct {
	// Roots are the directories recordings may be written to and moved
	// within, as Asterisk sees them: absolute, not "/". They are cleaned
	// (a trailing slash is fine) and need not exist yet.
	Roots []string `yaml:"roots" env:"ROOTS" envSeparator:":"`
	// HostPrefix maps Asterisk's paths to callctl's filesystem: host path =
	// HostPrefix + Asterisk path. "" in production (same filesystem view);
	// the chroot directory in the test bed. Absolute when set.
	HostPrefix string `yaml:"host_prefix" env:"HOST_PREFIX"`
}

// DefaultConfig is Asterisk's default MixMonitor directory, unprefixed.
func DefaultConfig() Config {
	return Config{Roots: []string{"/var/spool/asterisk/monitor"}}
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	_, _, err := c.normalize()
	return err
}

// normalize returns the cleaned roots and prefix ("" or absolute without a
// trailing slash).
func (c Config) normalize() (roots []string, prefix string, err error) {
	if len(c.Roots) == 0 {
		return nil, "", fmt.Errorf("recording.roots: none configured")
	}
	for _, r := range c.Roots {
		if r == "" || !filepath.IsAbs(r) || strings.IndexByte(r, 0) >= 0 || len(r) > maxPath {
			return nil, "", fmt.Errorf("recording.roots: %q: want an absolute path", r)
		}
		r = filepath.Clean(r)
		if r == string(filepath.Separator) {
			return nil, "", fmt.Errorf("recording.roots: the filesystem root may not be a recording root")
		}
		roots = append(roots, r)
	}
	if c.HostPrefix != "" {
		if !filepath.IsAbs(c.HostPrefix) || strings.IndexByte(c.HostPrefix, 0) >= 0 || len(c.HostPrefix) > maxPath {
			return nil, "", fmt.Errorf("recording.host_prefix: %q: want an absolute path or nothing", c.HostPrefix)
		}
		prefix = filepath.Clean(c.HostPrefix)
		if prefix == string(filepath.Separator) {
			prefix = ""
		}
	}
	return roots, prefix, nil
}
