package daemon

import (
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

// NewLogger returns the process logger: JSON, or human-readable on a
// terminal (format auto) or on request (console).
func NewLogger(cfg LogConfig, w *os.File) zerolog.Logger {
	var out io.Writer = w
	if cfg.Format == "console" || cfg.Format == "auto" && isatty.IsTerminal(w.Fd()) {
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
	}
	level, err := zerolog.ParseLevel(cfg.Level)
	if err != nil {
		level = zerolog.InfoLevel
	}
	return zerolog.New(out).Level(level).With().Timestamp().Logger()
}
