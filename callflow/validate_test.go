package callflow

import (
	"testing"
)

type roots []string

func (r roots) Roots() []string { return r }
func (r roots) Within(p string) bool {
	for _, root := range r {
		if len(p) > len(root) && p[:len(root)+1] == root+"/" {
			return true
		}
	}
	return false
}
func (r roots) Move(src, dir, name string) (string, error) { return "", nil }

func TestValues(t *testing.T) {
	for _, c := range []struct {
		ok  bool
		err error
	}{
		{true, CheckNumber("n", "+36301234567")},
		{true, CheckNumber("n", "*8#")},
		{false, CheckNumber("n", "12a")},
		{false, CheckNumber("n", "")},
		{false, CheckNumber("n", "1\r\n2")},
		{false, CheckNumber("n", "123456789012345678901234567890123")},
		{true, CheckText("t", "a,b (c) [d] \"e\" ÁRVÍZ", 255)},
		{false, CheckText("t", "a\r\nAction: Command", 255)},
		{false, CheckText("t", "a\x00", 255)},
		{false, CheckText("t", "toolong", 3)},
	} {
		if (c.err == nil) != c.ok {
			t.Errorf("got %v, want ok=%v", c.err, c.ok)
		}
	}
}

func TestDialerID(t *testing.T) {
	for _, c := range []struct {
		o              CallOptions
		cid, name, err string
	}{
		{CallOptions{}, "000", "Dialer", ""},
		{CallOptions{DialerCid: "299299000"}, "299299000", "299299000", ""},
		{CallOptions{DialerCid: "299299000", DialerName: "CRM"}, "299299000", "CRM", ""},
		{CallOptions{DialerCid: "customCDR2", CustomCDR: [4]string{"", "777"}}, "777", "777", ""},
		{CallOptions{DialerCid: "customCDR2", CustomCDR: [4]string{"", "abc"}}, "", "", "dialerCid"},
		{CallOptions{DialerName: `a" <b>`}, "", "", "dialerName"},
		{CallOptions{DialerCid: "1\r\n"}, "", "", "dialerCid"},
	} {
		cid, name, err := dialerID(c.o, "000", "Dialer")
		if c.err != "" {
			if e, ok := err.(*Error); !ok || e.Param != c.err {
				t.Errorf("%+v: err %v, want a %s error", c.o, err, c.err)
			}
			continue
		}
		if err != nil || cid != c.cid || name != c.name {
			t.Errorf("%+v: %q %q %v, want %q %q", c.o, cid, name, err, c.cid, c.name)
		}
	}
}

func TestMonitorFile(t *testing.T) {
	s := &Service{recordings: roots{"/var/spool/asterisk/monitor", "/srv/rec"}}
	for _, c := range []struct {
		o    CallOptions
		want string
		ok   bool
	}{
		{CallOptions{}, "", true},
		{CallOptions{MonitorFilename: "call1"}, "/var/spool/asterisk/monitor/call1.wav", true},
		{CallOptions{MonitorFilename: "call1.gsm"}, "/var/spool/asterisk/monitor/call1.gsm", true},
		{CallOptions{MonitorFilename: "c.2026.11"}, "/var/spool/asterisk/monitor/c.2026.11.wav", true},
		{CallOptions{MonitorFilename: "call1", MonitorPath: "/srv/rec/2026"}, "/srv/rec/2026/call1.wav", true},
		{CallOptions{MonitorFilename: "call1", MonitorPath: "/etc"}, "", false},
		{CallOptions{MonitorFilename: "call1", MonitorPath: "/srv/rec/../../etc"}, "", false},
		{CallOptions{MonitorFilename: "../x"}, "", false},
		{CallOptions{MonitorFilename: ".."}, "", false},
		{CallOptions{MonitorPath: "/srv/rec"}, "", false},
		{CallOptions{MonitorFilename: "x", MonitorType: "tape"}, "", false},
		{CallOptions{MonitorFilename: "x", MonitorType: "monitor"}, "/var/spool/asterisk/monitor/x.wav", true},
	} {
		got, err := s.monitorFile(c.o)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("%+v: %q %v, want %q ok=%v", c.o, got, err, c.want, c.ok)
		}
	}
}
