package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/callctl/callctl/webhook"
)

const webhookUsage = `usage:
  callctl webhook add NAME --kind call_end|call_notify|data_query --url URL [--method GET|POST]
        [--params a,b,c] [--template T | --template-file F] [--header 'K: V']... [--basic-auth USER:PASS]
        [--api-key K [--api-key-in header:NAME|query:NAME|body:NAME]] [--secret whsec_...]
        [--triggers arrival,ring,answer] [--include-recording] [--timeout 5s]
        [--retry 0s,5s,5m,30m,2h,5h,10h,10h] [--concurrency N] [--replace]
  callctl webhook list [--json] | show NAME [--json] | del NAME | test NAME
  callctl webhook log [NAME] [--failed] [--limit N] [--json]
  callctl webhook retry DELIVERY_ID | retry --failed NAME
`

// headerFlags collects repeated --header values.
type headerFlags []webhook.Header

func (h *headerFlags) String() string { return "" }
func (h *headerFlags) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("want 'Name: value'")
	}
	*h = append(*h, webhook.Header{Name: strings.TrimSpace(name), Value: strings.TrimSpace(value)})
	return nil
}

// webhookCommand runs "webhook add|list|show|del|test|log|retry".
func webhookCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, webhookUsage)
		return 2
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("callctl webhook "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "YAML configuration file")
	jsonOut := fs.Bool("json", false, "print JSON")
	kind := fs.String("kind", "", "call_end, call_notify or data_query")
	url := fs.String("url", "", "the receiver's URL")
	method := fs.String("method", "", "GET or POST (default: POST for call_end, GET otherwise)")
	params := fs.String("params", "", "the parameters sent, a comma list (default: all)")
	tmpl := fs.String("template", "", "the format: appended to the URL (GET) or the body (POST), with {{param}} placeholders")
	tmplFile := fs.String("template-file", "", "read the template from a file")
	var headers headerFlags
	fs.Var(&headers, "header", "an extra header 'Name: value' (repeatable)")
	basic := fs.String("basic-auth", "", "HTTP Basic authentication USER:PASS")
	apiKey := fs.String("api-key", "", "a fixed API key")
	apiKeyIn := fs.String("api-key-in", "", "where the API key goes: header:NAME, query:NAME or body:NAME (default header:X-API-Key)")
	secret := fs.String("secret", "", "Standard Webhooks signing secret whsec_...")
	triggers := fs.String("triggers", "", "call_notify: arrival, ring, answer (default arrival)")
	recording := fs.Bool("include-recording", false, "call_end: send the recordings base64 (monitor_file)")
	timeout := fs.Duration("timeout", 0, "per request (default 5s)")
	retry := fs.String("retry", "", "waits before each attempt, e.g. 0s,5s,5m (default the Standard Webhooks schedule)")
	concurrency := fs.Int("concurrency", 0, "requests in flight to this client at most (default webhook.concurrency)")
	replace := fs.Bool("replace", false, "add: replace the client of that name")
	failed := fs.Bool("failed", false, "log: only deliveries that failed for good; retry: every failed delivery of NAME")
	limit := fs.Int("limit", 100, "log: at most this many deliveries")
	positional, ok := parseInterleaved(fs, args)
	if !ok {
		return 2
	}
	cfg, ok := loadConfig(*configPath, environment(), stderr)
	if !ok {
		return exitError
	}
	loc, _ := cfg.Location()
	ctx := backgroundContext()
	exec := func(name string, in, out any) int {
		if err := adminExec(ctx, cfg, "webhook "+name, in, out); err != nil {
			return fail(stderr, err)
		}
		return 0
	}
	one := func() (string, bool) {
		if len(positional) != 1 {
			fmt.Fprint(stderr, webhookUsage)
			return "", false
		}
		return positional[0], true
	}

	switch sub {
	case "add":
		name, ok := one()
		if !ok {
			return 2
		}
		c := webhook.Client{Name: name, Kind: *kind, URL: *url, Method: *method, Template: *tmpl, Headers: headers,
			APIKey: *apiKey, APIKeyIn: *apiKeyIn, Secret: *secret, IncludeRecording: *recording, Timeout: *timeout, Concurrency: *concurrency}
		if *tmplFile != "" {
			if *tmpl != "" {
				fmt.Fprintln(stderr, "callctl: --template and --template-file exclude each other")
				return 2
			}
			data, err := os.ReadFile(*tmplFile)
			if err != nil {
				fmt.Fprintln(stderr, "callctl:", err)
				return 2
			}
			c.Template = strings.TrimRight(string(data), "\n")
		}
		if *params != "" {
			c.Params = strings.Split(*params, ",")
		}
		if *triggers != "" {
			c.Triggers = strings.Split(*triggers, ",")
		}
		if *basic != "" {
			user, pass, ok := strings.Cut(*basic, ":")
			if !ok {
				fmt.Fprintln(stderr, "callctl: --basic-auth: want USER:PASS")
				return 2
			}
			c.Basic = &webhook.BasicAuth{User: user, Password: pass}
		}
		if *retry != "" {
			for _, s := range strings.Split(*retry, ",") {
				d, err := time.ParseDuration(strings.TrimSpace(s))
				if err != nil {
					fmt.Fprintf(stderr, "callctl: --retry: %v\n", err)
					return 2
				}
				c.Retry = append(c.Retry, d)
			}
		}
		var saved webhook.Client
		if code := exec("add", webhook.AddArgs{Client: c, Replace: *replace}, &saved); code != 0 {
			return code
		}
		if *jsonOut {
			return printJSON(stdout, saved)
		}
		fmt.Fprintf(stdout, "webhook %s saved (%s %s %s)\n", saved.Name, saved.Kind, saved.Method, saved.URL)
	case "list":
		var list []webhook.ClientInfo
		if code := exec("list", nil, &list); code != 0 {
			return code
		}
		if *jsonOut {
			return printJSON(stdout, list)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tKIND\tMETHOD\tURL\tPENDING\tFAILED")
		for _, c := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\n", c.Name, c.Kind, c.Method, c.URL, c.Pending, c.Failed)
		}
		tw.Flush()
	case "show":
		name, ok := one()
		if !ok {
			return 2
		}
		var c webhook.ClientInfo
		if code := exec("show", webhook.NameArgs{Name: name}, &c); code != 0 {
			return code
		}
		if *jsonOut {
			return printJSON(stdout, c)
		}
		printClient(stdout, c)
	case "del":
		name, ok := one()
		if !ok {
			return 2
		}
		var res webhook.DelResult
		if code := exec("del", webhook.NameArgs{Name: name}, &res); code != 0 {
			return code
		}
		fmt.Fprintf(stdout, "webhook %s deleted (%d undelivered deliveries dropped)\n", name, res.Dropped)
	case "test":
		name, ok := one()
		if !ok {
			return 2
		}
		var res webhook.TestResult
		if code := exec("test", webhook.NameArgs{Name: name}, &res); code != 0 {
			return code
		}
		if *jsonOut {
			return printJSON(stdout, res)
		}
		if res.Error != "" && res.Status == 0 {
			fmt.Fprintf(stdout, "%s %s: %s (after %s)\n", res.Method, res.URL, res.Error, res.Duration.Round(time.Millisecond))
			return 1
		}
		fmt.Fprintf(stdout, "%s %s: %d %s in %s\n%s\n", res.Method, res.URL, res.Status, http.StatusText(res.Status), res.Duration.Round(time.Millisecond), res.Body)
		if res.Error != "" {
			return 1
		}
	case "log":
		f := webhook.LogFilter{Failed: *failed, Limit: *limit}
		if len(positional) > 1 {
			fmt.Fprint(stderr, webhookUsage)
			return 2
		}
		if len(positional) == 1 {
			f.Client = positional[0]
		}
		var list []webhook.Delivery
		if code := exec("log", f, &list); code != 0 {
			return code
		}
		if *jsonOut {
			return printJSON(stdout, list)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tCREATED\tCLIENT\tKIND\tCALL\tEVENT\tSTATE\tATTEMPTS\tLAST")
		for _, d := range list {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%d\t%s\n", d.ID, d.Created.In(loc).Format(seedTime), d.Client, d.Kind, d.CallID,
				dash(d.Event), d.State, d.Attempts, lastAttempt(d, loc))
		}
		tw.Flush()
	case "retry":
		var a webhook.RetryArgs
		switch {
		case *failed && len(positional) == 1:
			a.Failed = positional[0]
		case !*failed && len(positional) == 1:
			id, err := strconv.ParseUint(positional[0], 10, 64)
			if err != nil || id == 0 {
				fmt.Fprintln(stderr, "callctl: webhook retry: the delivery id is a number (see webhook log)")
				return 2
			}
			a.ID = id
		default:
			fmt.Fprint(stderr, webhookUsage)
			return 2
		}
		var res webhook.RetryResult
		if code := exec("retry", a, &res); code != 0 {
			return code
		}
		fmt.Fprintf(stdout, "%d deliveries queued again\n", res.Queued)
	default:
		fmt.Fprintf(stderr, "callctl: unknown command webhook %q\n\n%s", sub, webhookUsage)
		return 2
	}
	return 0
}

func printClient(w io.Writer, c webhook.ClientInfo) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	row("name", c.Name)
	row("kind", c.Kind)
	row("request", c.Method+" "+c.URL)
	row("params", strings.Join(c.Params, ","))
	if c.Params == nil && c.Template == "" {
		row("params", "all")
	}
	row("template", c.Template)
	for _, h := range c.Headers {
		row("header", h.Name+": "+h.Value)
	}
	if c.Basic != nil {
		row("basic auth", c.Basic.User+":"+c.Basic.Password)
	}
	if c.APIKey != "" {
		row("api key", c.APIKey+" in "+c.APIKeyIn)
	}
	row("secret", c.Secret)
	row("triggers", strings.Join(c.Triggers, ","))
	if c.IncludeRecording {
		row("recording", "included (monitor_file)")
	}
	row("timeout", c.Timeout.String())
	var retry []string
	for _, d := range c.Retry {
		retry = append(retry, d.String())
	}
	row("retry", strings.Join(retry, ","))
	row("concurrency", strconv.Itoa(c.Concurrency))
	row("pending", strconv.Itoa(c.Pending))
	row("failed", strconv.Itoa(c.Failed))
	tw.Flush()
}

func lastAttempt(d webhook.Delivery, loc *time.Location) string {
	if d.Last == nil {
		if d.State == webhook.StatePending {
			return "next " + d.Next.In(loc).Format(seedTime)
		}
		return "-"
	}
	s := d.Last.At.In(loc).Format(seedTime) + " "
	switch {
	case d.Last.Error != "":
		s += d.Last.Error
	case d.Last.Status != 0:
		s += strconv.Itoa(d.Last.Status)
	default:
		s += string(d.Last.Reason)
	}
	if d.State == webhook.StatePending {
		s += "; next " + d.Next.In(loc).Format(seedTime)
	}
	return s
}
