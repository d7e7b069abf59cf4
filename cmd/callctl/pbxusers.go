package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/callctl/callctl/pbxusers"
	"github.com/callctl/callctl/phonebook"
)

const pbxusersUsage = `usage:
  callctl pbxuser add ID --name N [--email E] [--operator] [--default-exten X] [--operator-extens a,b]
  callctl pbxuser list [--json] | pbxuser del ID
  callctl opstatus add ID --status 0-9 --label L [--logout]
  callctl opstatus list [--json] | opstatus del ID   (del marks it deleted)
  callctl phonebook field add ID --name N --type menu|number_sequence|text [--options 1:opt1,9:opt2]
  callctl phonebook field list [--json] | phonebook field del ID
`

// pbxusersCommand runs "pbxuser add|list|del" and "opstatus add|list|del"
// (what = "pbxuser" or "opstatus").
func pbxusersCommand(what string, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, pbxusersUsage)
		return 2
	}
	cmd, args := what+" "+args[0], args[1:]
	if what == "phonebook" && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = cmd+" "+args[0], args[1:]
	}
	fs := flag.NewFlagSet("callctl "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "YAML configuration file")
	jsonOut := fs.Bool("json", false, "print JSON")
	name := fs.String("name", "", "pbxuser add, phonebook field add: the name")
	email := fs.String("email", "", "pbxuser add: the user's email address")
	operator := fs.Bool("operator", false, "pbxuser add: a call-center operator")
	defaultExten := fs.String("default-exten", "", "pbxuser add: the default extension (default the first of pbx.extensions with its user_id)")
	operatorExtens := fs.String("operator-extens", "", "pbxuser add: the operator extensions, a comma list")
	status := fs.Int("status", -1, "opstatus add: the status code, 0 (callable) to 9")
	label := fs.String("label", "", "opstatus add: the label")
	logout := fs.Bool("logout", false, "opstatus add: the status means logged out")
	fieldType := fs.String("type", "", "phonebook field add: menu, number_sequence or text")
	options := fs.String("options", "", "phonebook field add: a menu's options, ID:LABEL,ID:LABEL")
	positional, ok := parseInterleaved(fs, args)
	if !ok {
		return 2
	}
	cfg, ok := loadConfig(*configPath, environment(), stderr)
	if !ok {
		return exitError
	}
	ctx := backgroundContext()
	id := func() (int, bool) {
		if len(positional) != 1 {
			return 0, false
		}
		n, err := strconv.Atoi(positional[0])
		return n, err == nil
	}
	switch cmd {
	case "pbxuser add":
		n, ok := id()
		if !ok || *name == "" {
			fmt.Fprint(stderr, pbxusersUsage)
			return 2
		}
		u := pbxusers.User{ID: n, Name: *name, Email: *email, Operator: *operator, DefaultExten: *defaultExten}
		if *operatorExtens != "" {
			u.OperatorExtens = strings.Split(*operatorExtens, ",")
		}
		if err := adminExec(ctx, cfg, cmd, u, nil); err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "user %d added\n", n)
	case "opstatus add":
		n, ok := id()
		if !ok || *label == "" || *status < 0 {
			fmt.Fprint(stderr, pbxusersUsage)
			return 2
		}
		if err := adminExec(ctx, cfg, cmd, pbxusers.Status{ID: n, Code: *status, Label: *label, Logout: *logout}, nil); err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "status %d added\n", n)
	case "phonebook field add":
		n, ok := id()
		if !ok || *name == "" {
			fmt.Fprint(stderr, pbxusersUsage)
			return 2
		}
		f := phonebook.Field{ID: n, Name: *name, Type: *fieldType}
		for _, o := range strings.Split(*options, ",") {
			if o == "" {
				continue
			}
			oid, label, _ := strings.Cut(o, ":")
			on, err := strconv.Atoi(oid)
			if err != nil {
				fmt.Fprintf(stderr, "callctl: option %q: want ID:LABEL\n", o)
				return 2
			}
			f.Options = append(f.Options, phonebook.Option{ID: on, Label: label})
		}
		if err := adminExec(ctx, cfg, cmd, f, nil); err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "field %d added\n", n)
	case "phonebook field del":
		n, ok := id()
		if !ok {
			fmt.Fprint(stderr, pbxusersUsage)
			return 2
		}
		if err := adminExec(ctx, cfg, cmd, phonebook.IDArgs{ID: n}, nil); err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "field %d deleted\n", n)
	case "phonebook field list":
		var list []phonebook.Field
		if err := adminExec(ctx, cfg, cmd, nil, &list); err != nil {
			return fail(stderr, err)
		}
		if *jsonOut {
			return printJSON(stdout, list)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tTYPE\tOPTIONS")
		for _, f := range list {
			var opts []string
			for _, o := range f.Options {
				opts = append(opts, strconv.Itoa(o.ID)+":"+o.Label)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", f.ID, f.Name, f.Type, dash(strings.Join(opts, ",")))
		}
		tw.Flush()
	case "pbxuser del", "opstatus del":
		n, ok := id()
		if !ok {
			fmt.Fprint(stderr, pbxusersUsage)
			return 2
		}
		if err := adminExec(ctx, cfg, cmd, pbxusers.IDArgs{ID: n}, nil); err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "%s %d deleted\n", strings.TrimPrefix(what, "pbx"), n)
	case "pbxuser list":
		var list []pbxusers.User
		if err := adminExec(ctx, cfg, cmd, nil, &list); err != nil {
			return fail(stderr, err)
		}
		if *jsonOut {
			return printJSON(stdout, list)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tEMAIL\tOPERATOR\tSTATUS")
		for _, u := range list {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%v\t%d\n", u.ID, u.Name, dash(u.Email), u.Operator, u.StatusID)
		}
		tw.Flush()
	case "opstatus list":
		var list []pbxusers.Status
		if err := adminExec(ctx, cfg, cmd, nil, &list); err != nil {
			return fail(stderr, err)
		}
		if *jsonOut {
			return printJSON(stdout, list)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tLABEL\tLOGOUT\tDELETED")
		for _, s := range list {
			fmt.Fprintf(tw, "%d\t%d\t%s\t%v\t%v\n", s.ID, s.Code, s.Label, s.Logout, s.Deleted)
		}
		tw.Flush()
	default:
		fmt.Fprint(stderr, pbxusersUsage)
		return 2
	}
	return 0
}
