package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/store"
)

// Command is one administrative command.
type Command struct {
	Name string
	// Run executes the command; args is the JSON of its argument struct.
	// It returns a JSON-encodable result. An *Error is shown to the user as
	// is; other errors are internal.
	Run func(ctx context.Context, db *store.DB, args json.RawMessage) (any, error)
}

// Error is a command's answer to bad input (unknown user, duplicate …).
type Error struct{ Message string }

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error.
func Errorf(format string, a ...any) error { return &Error{Message: fmt.Sprintf(format, a...)} }

// InputError returns err as an *Error, its package's prefix ("users: ")
// trimmed, when it is one of the package's input errors; other errors
// stay internal.
func InputError(err error, prefix string, input ...error) error {
	for _, in := range input {
		if errors.Is(err, in) {
			return Errorf("%s", strings.TrimPrefix(err.Error(), prefix))
		}
	}
	return err
}

// Registry holds the commands by name.
type Registry struct{ cmds map[string]Command }

// NewRegistry returns a registry with the given commands and the built-in "status".
func NewRegistry(cmds ...Command) *Registry {
	r := &Registry{cmds: map[string]Command{}}
	r.Add(statusCommand)
	for _, c := range cmds {
		r.Add(c)
	}
	return r
}

// Add registers c, replacing a command of the same name.
func (r *Registry) Add(c Command) { r.cmds[c.Name] = c }

// Names lists the commands.
func (r *Registry) Names() []string {
	var n []string
	for k := range r.cmds {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

func (r *Registry) run(ctx context.Context, db *store.DB, name string, args json.RawMessage) (any, error) {
	c, ok := r.cmds[name]
	if !ok {
		return nil, Errorf("unknown command %q", name)
	}
	return c.Run(ctx, db, args)
}

// reply is the wire form of a command's outcome.
type reply struct {
	Result    json.RawMessage `json:"result,omitempty"`
	Error     string          `json:"error,omitempty"`
	UserError bool            `json:"user_error,omitempty"`
}

// Serve answers commands on a unix socket at path until ctx ends. The
// caller must hold the database (which guarantees no other daemon serves
// the same socket), so a leftover socket file is replaced. Only root and
// the daemon's user can connect: the socket is 0600 from the start (see
// listen) and every peer's uid is checked (SO_PEERCRED).
func Serve(ctx context.Context, path string, db *store.DB, reg *Registry, log zerolog.Logger) error {
	log = log.With().Str("pkg", "admin").Logger()
	ul, err := listen(path)
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	ln := &peerListener{UnixListener: ul, uid: os.Getuid(), log: log}
	srv := &http.Server{
		ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			name, ok := strings.CutPrefix(r.URL.Path, "/v1/")
			if !ok || r.Method != http.MethodPost {
				http.NotFound(w, r)
				return
			}
			args, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			if err != nil {
				return
			}
			res, err := reg.run(r.Context(), db, name, args)
			log.Info().Str("command", name).Err(err).Msg("admin command")
			writeReply(w, res, err)
		}),
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	err = srv.Serve(ln)
	os.Remove(path)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func writeReply(w http.ResponseWriter, res any, err error) {
	var rep reply
	if err != nil {
		var ue *Error
		rep.Error, rep.UserError = err.Error(), errors.As(err, &ue)
	} else if rep.Result, err = json.Marshal(res); err != nil {
		rep.Error = err.Error()
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(rep)
}

// Exec runs the command name with args and decodes its result into out:
// through the daemon's socket when one answers, else on the database in
// dataDir directly.
func Exec(ctx context.Context, socket, dataDir string, reg *Registry, name string, args, out any) error {
	body, err := json.Marshal(args)
	if err != nil {
		return err
	}
	raw, err := viaSocket(ctx, socket, name, body)
	if errors.Is(err, errNoDaemon) {
		raw, err = direct(ctx, dataDir, reg, name, body)
	}
	if err != nil {
		return err
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

var errNoDaemon = errors.New("admin: no daemon answers")

func viaSocket(ctx context.Context, socket, name string, body []byte) (json.RawMessage, error) {
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{Timeout: 2 * time.Second}).DialContext(ctx, "unix", socket)
		},
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://callctl/v1/"+name, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return nil, errNoDaemon
		}
		return nil, fmt.Errorf("admin: daemon at %s: %w", socket, err)
	}
	defer resp.Body.Close()
	var rep reply
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		return nil, fmt.Errorf("admin: daemon at %s: %w", socket, err)
	}
	if rep.Error != "" {
		if rep.UserError {
			return nil, &Error{Message: rep.Error}
		}
		return nil, errors.New(rep.Error)
	}
	return rep.Result, nil
}

func direct(ctx context.Context, dataDir string, reg *Registry, name string, body []byte) (json.RawMessage, error) {
	db, err := store.Open(dataDir, &store.Options{LockTimeout: 500 * time.Millisecond})
	if errors.Is(err, store.ErrLocked) {
		return nil, fmt.Errorf("%w, and its admin socket does not answer", err)
	}
	if err != nil {
		return nil, err
	}
	defer db.Close()
	giveToDirOwner(dataDir, db.Path())
	res, err := reg.run(ctx, db, name, body)
	if err != nil {
		return nil, err
	}
	return json.Marshal(res)
}

// giveToDirOwner hands a database file that root just created in a data
// directory of another user (the package's /var/lib/callctl, callctl's) to
// that user: otherwise `callctl user add` run as root before the daemon's
// first start would leave a file the daemon cannot open.
func giveToDirOwner(dir, file string) {
	if os.Geteuid() != 0 {
		return
	}
	var d, f syscall.Stat_t
	if syscall.Stat(dir, &d) != nil || syscall.Stat(file, &f) != nil || d.Uid == 0 || f.Uid != 0 {
		return
	}
	os.Chown(file, int(d.Uid), int(d.Gid))
}

// Status is the result of the "status" command.
type Status struct {
	Database      string         `json:"database"`
	SchemaVersion int            `json:"schema_version"`
	Records       map[string]int `json:"records"`
}

var statusCommand = Command{Name: "status", Run: func(ctx context.Context, db *store.DB, _ json.RawMessage) (any, error) {
	st := Status{Database: db.Path(), Records: map[string]int{}}
	err := db.View(func(tx *store.Tx) error {
		st.SchemaVersion = tx.SchemaVersion()
		for _, b := range []string{store.BucketUsers, store.BucketAgents, store.BucketCDRs, store.BucketOutbox} {
			n, err := tx.Count(b)
			if err != nil {
				return err
			}
			st.Records[b] = n
		}
		return nil
	})
	return st, err
}}

// DecodeArgs decodes a command's JSON arguments into v, refusing unknown
// fields (a misspelt option must not be silently ignored); no arguments
// leave v as it is. A failure is an *Error for the user.
func DecodeArgs(raw json.RawMessage, v any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Errorf("bad arguments: %v", err)
	}
	return nil
}
