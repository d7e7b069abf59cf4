package daemon

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ConfigKey is one key of the configuration file, found by walking Config's
// yaml tags: Path is dotted (http.listen), Env the CALLCTL_* variable that
// overrides it ("" when none does), Section a key that holds other keys.
type ConfigKey struct {
	Path    string
	Env     string
	Section bool
	field   reflect.StructField
}

// ConfigKeys lists every key of the configuration file, sections first in
// the order of the structs' fields.
func ConfigKeys() []ConfigKey {
	var keys []ConfigKey
	walkKeys(reflect.TypeOf(Config{}), "", "CALLCTL_", &keys)
	return keys
}

func walkKeys(t reflect.Type, prefix, envPrefix string, keys *[]ConfigKey) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if opts == "inline" {
			walkKeys(f.Type, prefix, envPrefix+f.Tag.Get("envPrefix"), keys)
			continue
		}
		k := ConfigKey{Path: prefix + name, field: f}
		if e := f.Tag.Get("env"); e != "" {
			k.Env = envPrefix + e
		}
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Duration(0)) {
			k.Section = true
			*keys = append(*keys, k)
			walkKeys(f.Type, k.Path+".", envPrefix+f.Tag.Get("envPrefix"), keys)
			continue
		}
		*keys = append(*keys, k)
	}
}

// secretKey reports whether a key holds a secret: its last part is secret,
// password or token (their *_file siblings name files, not secrets).
func secretKey(path string) bool {
	last := path[strings.LastIndexByte(path, '.')+1:]
	return last == "secret" || last == "password" || last == "token"
}

// Masked is what WriteConfigYAML writes for a secret that is set.
const Masked = "*****"

// WriteConfigYAML writes cfg as the configuration file: every key with its
// value and a one-line comment above it (what it means and the variable
// that overrides it). mask replaces the secrets that are set with Masked.
// The output parses back into cfg (unmasked) with LoadConfig.
func WriteConfigYAML(w io.Writer, cfg Config, header string, mask bool) error {
	root := &yaml.Node{Kind: yaml.MappingNode}
	if err := mapping(root, reflect.ValueOf(cfg), "", "CALLCTL_", mask); err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	enc.Close()
	var out bytes.Buffer
	for _, l := range strings.Split(strings.TrimRight(header, "\n"), "\n") {
		if header != "" {
			out.WriteString("# " + l + "\n")
		}
	}
	if header != "" {
		out.WriteString("\n")
	}
	prev := ""
	for _, l := range strings.SplitAfter(buf.String(), "\n") {
		// A blank line before each top-level key's comment.
		if strings.HasPrefix(l, "# ") && prev != "" && !strings.HasPrefix(prev, "#") {
			out.WriteString("\n")
		}
		out.WriteString(l)
		prev = l
	}
	_, err := w.Write(out.Bytes())
	return err
}

func mapping(n *yaml.Node, v reflect.Value, prefix, envPrefix string, mask bool) error {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if opts == "inline" {
			if err := mapping(n, v.Field(i), prefix, envPrefix+f.Tag.Get("envPrefix"), mask); err != nil {
				return err
			}
			continue
		}
		path := prefix + name
		comment, ok := configComments[path]
		if !ok {
			return fmt.Errorf("config: key %s has no comment (daemon/configdoc.go)", path)
		}
		if e := f.Tag.Get("env"); e != "" {
			comment += " [" + envPrefix + e + "]"
		}
		key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name, HeadComment: comment}
		fv := v.Field(i)
		var val *yaml.Node
		switch {
		case fv.Type() == reflect.TypeOf(time.Duration(0)):
			val = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: shortDuration(time.Duration(fv.Int()))}
		case fv.Kind() == reflect.Struct:
			val = &yaml.Node{Kind: yaml.MappingNode}
			if err := mapping(val, fv, path+".", envPrefix+f.Tag.Get("envPrefix"), mask); err != nil {
				return err
			}
		case mask && secretKey(path) && fv.Kind() == reflect.String && fv.String() != "":
			val = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: Masked}
		default:
			val = &yaml.Node{}
			if err := val.Encode(fv.Interface()); err != nil {
				return fmt.Errorf("config: %s: %w", path, err)
			}
			if val.Kind == yaml.SequenceNode {
				// A list of records: one record a line.
				val.Style = yaml.FlowStyle
				if len(val.Content) > 0 && val.Content[0].Kind == yaml.MappingNode {
					val.Style = 0
					for _, c := range val.Content {
						c.Style = yaml.FlowStyle
					}
				}
			}
		}
		n.Content = append(n.Content, key, val)
	}
	return nil
}

// shortDuration writes d as ParseDuration reads it, without the zero
// minutes and seconds time.Duration.String adds (2160h, not 2160h0m0s).
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// configComments says in one line what each key of the file means; a test
// checks that every key has one and that none is left over.
var configComments = map[string]string{
	"data_dir":   "the database (callctl.db) and the admin socket live here",
	"timezone":   `the PBX's zone for the seed formats' times: Local or an IANA name such as Europe/Budapest`,
	"log":        "logging (to standard error: the journal under systemd)",
	"log.level":  "debug, info, warn or error",
	"log.format": "json, console, or auto (console on a terminal, else json)",

	"http":                  "the HTTP listener: the APIs, /healthz, /readyz, /metrics",
	"http.listen":           "host:port to listen on",
	"http.max_body_bytes":   "larger request bodies are refused (413)",
	"http.shutdown_timeout": "drain time for requests in flight at shutdown",
	"http.read_timeout":     "a whole request, body included, must arrive within this",
	"http.write_timeout":    "a request must be answered within this after its headers",
	"http.max_conns":        "connections open at once at most",
	"http.health_conns":     "more connections kept for /healthz, /readyz and /metrics when max_conns is reached",

	"ami":               "Asterisk's manager interface (manager.conf)",
	"ami.addr":          "host:port of Asterisk's manager",
	"ami.username":      "the manager user (manager.conf section)",
	"ami.secret":        "its secret (or ami.secret_file)",
	"ami.queue_size":    "events each subscriber may have waiting",
	"ami.max_pending":   "actions that may wait to be sent",
	"ami.dial_timeout":  "bound of each TCP connect",
	"ami.ping_interval": "keepalive ping; an unanswered ping makes callctl unready",
	"ami.secret_file":   "read the secret from the first line of this file",

	"ari":                   "Asterisk's REST interface (ari.conf, http.conf)",
	"ari.url":               "ARI's base URL",
	"ari.username":          "the ARI user (ari.conf section)",
	"ari.password":          "its password (or ari.password_file)",
	"ari.app":               "the Stasis application callctl registers",
	"ari.request_timeout":   "bound of every REST call",
	"ari.watchdog_interval": "how often /asterisk/info is checked (readiness, restart detection)",
	"ari.max_backoff":       "cap of the websocket reconnect backoff",
	"ari.queue_size":        "events each subscriber may have waiting",
	"ari.password_file":     "read the password from the first line of this file",

	"admin":        "the admin socket the CLI uses while the daemon runs",
	"admin.socket": `unix socket path; "" means admin.sock in data_dir`,

	"pbx":                  "what callctl knows of the PBX",
	"pbx.default_dialplan": "numbering plan of lines that name none",
	"pbx.extensions":       "lines: {id, number, public_number, sip_username, dialplan, context, user_id, cost_location, user_number}",
	"pbx.trunks":           "trunks (PJSIP endpoint names): {id, name, account_code}",
	"pbx.outroutes":        "outbound routes: {id, name, trunk, strip_prefix, prepend}",
	"pbx.queues":           "app_queue queues: {id, name}; the id is a CDR's cc_call",
	"pbx.flows":            "dialplan-only call flows (technical extensions in callctl-flow) VIPeX outbound_ivr may start: {exten, language}; a stored flow's extension needs none (its language is the flow's)",
	"pbx.outbound_context": "where lines' outbound calls are dialled",
	"pbx.dids":             "inbound numbers that run a call flow: {number, flow, fallback (the static destination when callctl is not running)}",

	"cdr":                       "the CDR engine",
	"cdr.rates":                 "outbound prices {prefix, per_minute, increment}: longest prefix wins, billed per started increment seconds",
	"cdr.live_save_interval":    "how often the calls in progress are saved (to survive a restart)",
	"cdr.backfill":              "rebuild the calls callctl missed from Asterisk's CEL SQLite file",
	"cdr.backfill.cel_path":     `the CEL file as callctl's host sees it (absolute); "" turns backfill off`,
	"cdr.backfill.cel_table":    "the CEL table",
	"cdr.backfill.cel_own_file": "callctl owns the file: it deletes rows older than an hour before the last event it saw",

	"recording":             "where recordings may be written and moved",
	"recording.roots":       "the only directories recordings may be written to or moved within (as Asterisk sees them)",
	"recording.host_prefix": `where Asterisk's filesystem is on callctl's host ("" when they share it)`,

	"calls":                  "the call actions",
	"calls.action_timeout":   "deadline of each AMI exchange of an API action, and of the wait for a started call's record id",
	"calls.src_ring_timeout": "ring time (s) of click-to-call's source when a request names none",
	"calls.dst_ring_timeout": "ring time (s) of the destination when a request names none",

	"api":                "the HTTP API dialects",
	"api.auth_cache_ttl": "verified credentials are trusted this long (a bcrypt check costs ~60 ms)",
	"api.token_ttl":      "lifetime of a REST API access token",

	"max_procs":             "CPUs running callctl's Go code at once (GOMAXPROCS; 0: all; the GOMAXPROCS variable wins)",
	"flows":                 "the call flows callctl runs over ARI (Stasis app callctl)",
	"flows.max_calls":       "calls in a flow at once; over it a DID's call goes to its static destination",
	"flows.max_steps":       "steps one call may take (a loop is cut with cause 41)",
	"flows.request_timeout": "deadline of each ARI request of a flow",
	"gc_percent":            "the garbage collector's target (GOGC; 0: Go's 100, or gc_headroom_mib; the GOGC variable wins)",
	"gc_headroom_mib":       "with gc_percent 0: collect when the heap has grown this many MiB over what was live (GOGC set after each collection, 25-400); 0: Go's GOGC 100",
	"debug":                 "diagnostics, off in production",
	"debug.pprof":           "serve Go's profiles at /debug/pprof/ on the HTTP listener (anyone who reaches it can read them)",
	"node_id":               `names this PBX host on every call_end body; "" means the host name`,

	"webhook":                     "the outbound API clients' outbox",
	"webhook.allow_link_local":    "allow clients to call 169.254.0.0/16 and fe80::/10",
	"webhook.concurrency":         "requests in flight per client unless the client sets its own",
	"webhook.log_size":            "delivered deliveries kept for callctl webhook log",
	"webhook.reference_ttl":       "validity of the recording references sent to clients",
	"webhook.max_recording_bytes": "larger recordings are sent without monitor_file",
	"webhook.shutdown_grace":      "attempts under way may finish this long at shutdown",

	"nats":               `finished calls and call changes to NATS JetStream; off while nats.url is ""`,
	"nats.url":           "server URL, or several of a cluster separated by commas (tls:// for TLS)",
	"nats.user":          "user name (user/password, token and creds_file exclude each other)",
	"nats.password":      "its password (or nats.password_file)",
	"nats.password_file": "read the password from the first line of this file",
	"nats.token":         "an authentication token (or nats.token_file)",
	"nats.token_file":    "read the token from the first line of this file",
	"nats.creds_file":    "a .creds file with a JWT and an NKey seed",
	"nats.tls":           "TLS client settings",
	"nats.tls.ca":        "the servers' CA certificate file",
	"nats.tls.cert":      "client certificate file, when the servers ask for one",
	"nats.tls.key":       "its key file",
	"nats.stream":        "the JetStream stream (created when missing: subjects callctl.>, file storage)",
	"nats.replicas":      "copies of a stream callctl creates",
	"nats.duplicates":    "duplicate window of a stream callctl creates",
	"nats.ack_timeout":   "how long a publish waits for its acknowledgement before it is tried again",
	"nats.max_in_flight": "messages published and not yet acknowledged at most",

	"vipex":                 "the VIPeX rt=api dialect",
	"vipex.subscription_id": `the vipex_id requests must name; "" refuses them all`,
}

// commentedKeys lists the keys of configComments, sorted (for the test).
func commentedKeys() []string {
	var ks []string
	for k := range configComments {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
