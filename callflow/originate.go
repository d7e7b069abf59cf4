package callflow

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/pbx"
)

// Dialplan contexts callctl ships (test/asterisk/etc/extensions_callctl.conf).
const (
	ctxOriginate = "callctl-originate"
	ctxSpy       = "callctl-spy"
)

// CallOptions are what click-to-call and dial share.
type CallOptions struct {
	DstNum           string
	CustomCDR        [4]string
	DialerCid        string // the number shown (to the source line, or to the destination of dial); "customCDR1".."customCDR4" takes that value
	DialerName       string
	OverrideCallerID string // click-to-call: the number the destination sees
	MonitorFilename  string
	MonitorPath      string
	MonitorType      string // mixmonitor (default) or monitor (MixMonitor too: Asterisk 22 has no Monitor)
	Macro            string // a dialplan context run as a pre-dial routine on the called channel
	DstRingTimeout   string
}

// OriginateRequest is a click-to-call: ring the source line, and when it
// answers, dial DstNum.
type OriginateRequest struct {
	Source         LineSelector
	SrcRingTimeout string
	CheckExten     bool
	CheckIPHost    string
	CheckIPContact string
	CallOptions
}

// audioFormats are the file extensions MixMonitor can write on the test bed.
var audioFormats = map[string]bool{"wav": true, "wav49": true, "gsm": true, "ulaw": true, "alaw": true, "sln": true, "raw": true}

var (
	fileRE = regexp.MustCompile(`^[A-Za-z0-9_.+-]{1,200}$`)
	pathRE = regexp.MustCompile(`^/[A-Za-z0-9_./+-]{0,400}$`)
	ipRE   = regexp.MustCompile(`^[0-9A-Fa-f.:]{2,45}$`)
)

// Originate starts a click-to-call.
func (s *Service) Originate(ctx context.Context, r OriginateRequest) error {
	if r.DstNum == "" {
		return missing("dstNum")
	}
	if err := CheckNumber("dstNum", r.DstNum); err != nil {
		return err
	}
	line, err := s.findLine(r.Source, RoleSource)
	if err != nil {
		return err
	}
	if err := s.checkAddress("checkIpHost", r.CheckIPHost); err != nil {
		return err
	}
	if err := s.checkAddress("checkIpContact", r.CheckIPContact); err != nil {
		return err
	}
	srcTimeout, err := seconds("srcRingTimeout", r.SrcRingTimeout, s.cfg.SrcRingTimeout)
	if err != nil {
		return err
	}
	vars, err := s.callVariables(ctx, r.CallOptions)
	if err != nil {
		return err
	}
	cid, name, err := dialerID(r.CallOptions, "000", "Dialer")
	if err != nil {
		return err
	}
	dstCid := r.OverrideCallerID
	if dstCid == "" {
		dstCid = line.PublicNumber
		if dstCid == "" {
			dstCid = line.Number
		}
	} else if err := CheckNumber("overrideCallerId", dstCid); err != nil {
		return err
	}
	vars["CALLCTL_DIAL"] = s.dialString(r.DstNum)
	vars["CALLCTL_DST_CALLERID"] = dstCid
	if vars["CALLCTL_DIAL_OPTIONS"], err = s.dialOptions(ctx, r.Macro); err != nil {
		return err
	}
	if err := s.checkLine(ctx, line, r.CheckExten, r.CheckIPHost, r.CheckIPContact); err != nil {
		return err
	}
	return s.startCall(ctx, "click-to-call", map[string]string{
		"Channel":  line.Endpoint(),
		"Context":  ctxOriginate,
		"Exten":    r.DstNum,
		"Priority": "1",
		"Timeout":  strconv.Itoa(srcTimeout * 1000),
		"CallerID": callerID(name, cid),
	}, vars)
}

// startCall originates a call and returns once Asterisk queued it. A
// goroutine waits for the outcome (within the ring time and a margin) and
// logs it; what happened is in the call's CDR.
func (s *Service) startCall(ctx context.Context, what string, headers, vars map[string]string) error {
	actx, cancel := s.ctx(ctx)
	defer cancel()
	result, err := s.ami.StartOriginate(actx, ami.Action{Headers: headers, Variables: vars})
	if err != nil {
		return asteriskError(what, err)
	}
	ring, _ := strconv.Atoi(headers["Timeout"])
	go func() {
		wctx, cancel := context.WithTimeout(context.Background(), time.Duration(ring)*time.Millisecond+30*time.Second)
		defer cancel()
		ev, err := result(wctx)
		switch {
		case err != nil:
			s.log.Warn().Err(err).Str("channel", headers["Channel"]).Msg(what + ": outcome unknown")
		case ev["Response"] != "Success":
			s.log.Info().Str("channel", headers["Channel"]).Str("reason", ev["Reason"]).Msg(what + " did not go through")
		default:
			s.log.Info().Str("channel", headers["Channel"]).Msg(what + " answered")
		}
	}()
	return nil
}

// dialString is how the destination number is dialled: a line directly,
// anything else through the default outbound route.
func (s *Service) dialString(number string) string {
	if e, err := s.dir.Find(pbx.Selector{InternalNumber: number}); err == nil {
		return e.Endpoint()
	}
	routes := s.dir.Config().OutRoutes
	if len(routes) == 0 {
		return "PJSIP/" + number
	}
	return routes[0].DialString(number)
}

// callVariables validates the options that become channel variables: the
// CDR's customCDR values, the recording, the ring time and the pre-dial routine.
func (s *Service) callVariables(ctx context.Context, o CallOptions) (map[string]string, error) {
	vars := map[string]string{}
	for i, v := range o.CustomCDR {
		if v == "" {
			continue
		}
		if err := CheckText(fmt.Sprintf("customCDR%d", i+1), v, 255); err != nil {
			return nil, err
		}
		vars[fmt.Sprintf("CALLCTL_CUSTOMCDR%d", i+1)] = v
	}
	dstTimeout, err := seconds("dstRingTimeout", o.DstRingTimeout, s.cfg.DstRingTimeout)
	if err != nil {
		return nil, err
	}
	vars["CALLCTL_DST_TIMEOUT"] = strconv.Itoa(dstTimeout)
	monitor, err := s.monitorFile(o)
	if err != nil {
		return nil, err
	}
	vars["CALLCTL_MONITOR"] = monitor
	return vars, nil
}

// dialOptions turns the macro option into Dial's options: the context's
// s,1 runs as a pre-dial routine on the destination before it rings
// (Asterisk 22 has no app_macro; Dial's b() is the Gosub that replaces it.
// AMI's PreDialGoSub would be the other way, but an asynchronous Originate
// ignores it).
func (s *Service) dialOptions(ctx context.Context, macro string) (string, error) {
	if macro == "" {
		return "", nil
	}
	if !nameRE.MatchString(macro) {
		return "", invalid("macro", "%q is not a dialplan context name", macro)
	}
	if err := s.contextExists(ctx, "macro", macro); err != nil {
		return "", err
	}
	return "b(" + macro + "^s^1)", nil
}

// monitorFile returns the recording file the options ask for, "" for none.
func (s *Service) monitorFile(o CallOptions) (string, error) {
	switch strings.ToLower(o.MonitorType) {
	case "", "mixmonitor", "monitor":
	default:
		return "", invalid("monitorType", "%q: use mixmonitor or monitor", o.MonitorType)
	}
	if o.MonitorFilename == "" {
		if o.MonitorPath != "" {
			return "", invalid("monitorPath", "needs monitorFilename")
		}
		return "", nil
	}
	if !fileRE.MatchString(o.MonitorFilename) || o.MonitorFilename == "." || o.MonitorFilename == ".." {
		return "", invalid("monitorFilename", "%q: letters, digits and ._+- only", o.MonitorFilename)
	}
	dir := o.MonitorPath
	if dir == "" {
		roots := s.recordings.Roots()
		if len(roots) == 0 {
			return "", invalid("monitorFilename", "no recording root is configured")
		}
		dir = roots[0]
	}
	if !pathRE.MatchString(dir) {
		return "", invalid("monitorPath", "%q is not an absolute path of letters, digits and ._/+-", dir)
	}
	file := path.Join(dir, o.MonitorFilename)
	if !audioFormats[strings.ToLower(strings.TrimPrefix(path.Ext(file), "."))] {
		file += ".wav" // MixMonitor takes the format from the extension
	}
	if !s.recordings.Within(file) {
		return "", invalid("monitorPath", "%q is outside the recording directories", dir)
	}
	return file, nil
}

// dialerID returns the caller id shown by a dial: dialerCid (or the
// customCDR value it names) and dialerName, with the seeds' defaults.
func dialerID(o CallOptions, defCid, defName string) (cid, name string, err error) {
	cid = o.DialerCid
	if n, ok := strings.CutPrefix(cid, "customCDR"); ok && len(n) == 1 && n[0] >= '1' && n[0] <= '4' {
		cid = o.CustomCDR[n[0]-'1']
	}
	if cid == "" {
		cid = defCid
	}
	if err := CheckNumber("dialerCid", cid); err != nil {
		return "", "", err
	}
	name = o.DialerName
	if name == "" {
		name = defName
		if o.DialerCid != "" {
			name = cid
		}
	}
	if err := CheckText("dialerName", name, 80); err != nil {
		return "", "", err
	}
	if strings.ContainsAny(name, `"<>\`) {
		return "", "", invalid("dialerName", `must not contain " < > or \`)
	}
	return cid, name, nil
}

func callerID(name, number string) string { return `"` + name + `" <` + number + `>` }

// seconds reads a ring time: 1–3600 s, or def when empty.
func seconds(param, v string, def int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 3600 {
		return 0, invalid(param, "%q: a number of seconds from 1 to 3600", v)
	}
	return n, nil
}

// checkAddress validates an IP address parameter.
func (s *Service) checkAddress(param, v string) error {
	if v == "" {
		return nil
	}
	if !ipRE.MatchString(v) {
		return invalid(param, "%q is not an IP address", v)
	}
	return nil
}

// contextExists asks Asterisk whether a dialplan context exists.
func (s *Service) contextExists(ctx context.Context, param, name string) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, _, err := s.ami.List(ctx, ami.Action{Name: "ShowDialPlan", Headers: map[string]string{"Context": name}})
	if err != nil {
		if _, ok := err.(*ami.ResponseError); ok {
			return invalid(param, "dialplan context %q does not exist", name)
		}
		return asteriskError("checking the dialplan", err)
	}
	return nil
}
