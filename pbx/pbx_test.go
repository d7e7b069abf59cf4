package pbx

import (
	"errors"
	"testing"
)

func TestFind(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Extensions = append(cfg.Extensions, Extension{ID: 20, Number: "1001", SIPUsername: "b1001", Dialplan: "branch"})
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sel  Selector
		want string
		err  error
	}{
		{Selector{InternalNumber: "1000"}, "1000", nil},
		{Selector{PublicNumber: "36123451002"}, "1002", nil},
		{Selector{ID: 4}, "1003", nil},
		{Selector{SIPUsername: "b1001"}, "b1001", nil},
		{Selector{InternalNumber: "1001"}, "", ErrAmbiguous},
		{Selector{InternalNumber: "1001", Dialplan: "branch"}, "b1001", nil},
		{Selector{InternalNumber: "1001", Dialplan: "default"}, "1001", nil},
		{Selector{InternalNumber: "1001", Dialplan: "nowhere"}, "", ErrDialplanNotFound},
		{Selector{InternalNumber: "1098"}, "", ErrNotFound},
	} {
		e, err := d.Find(c.sel)
		if !errors.Is(err, c.err) || err == nil && e.SIPUsername != c.want {
			t.Errorf("%+v: %q %v, want %q %v", c.sel, e.SIPUsername, err, c.want, c.err)
		}
	}
	if r, err := d.OutRoute("carrier", 0); err != nil || r.DialString("3630111222") != "PJSIP/3630111222@carrier" {
		t.Errorf("outroute: %+v %v", r, err)
	}
	if _, err := d.OutRoute("", 9); !errors.Is(err, ErrOutRouteNotFound) {
		t.Errorf("outroute 9: %v", err)
	}
	if tr, ok := d.Trunk("carrier"); !ok || tr.AccountCode != "SIPTR_1" {
		t.Errorf("trunk: %+v", tr)
	}
}

func TestInvalidConfigs(t *testing.T) {
	for name, mod := range map[string]func(*Config){
		"duplicate device": func(c *Config) {
			c.Extensions = append(c.Extensions, Extension{ID: 99, Number: "2000", SIPUsername: "1000"})
		},
		"trunk is a line":      func(c *Config) { c.Trunks = append(c.Trunks, Trunk{ID: 2, Name: "1000"}) },
		"route to no trunk":    func(c *Config) { c.OutRoutes = append(c.OutRoutes, OutRoute{ID: 2, Name: "x", Trunk: "nope"}) },
		"bad number":           func(c *Config) { c.Extensions[0].Number = "10 00" },
		"bad queue":            func(c *Config) { c.Queues = append(c.Queues, Queue{ID: 3, Name: "a/b"}) },
		"injection in a name":  func(c *Config) { c.Extensions[0].SIPUsername = "1000\r\nAction: Command" },
		"prefix rules applied": func(c *Config) {},
		"did twice":            func(c *Config) { c.DIDs = append(c.DIDs, c.DIDs[0]) },
		"did not a number":     func(c *Config) { c.DIDs[0].Number = "36 1" },
		"did without flow":     func(c *Config) { c.DIDs[0].Flow = "" },
		"did flow with comma":  func(c *Config) { c.DIDs[0].Flow = "a,b" },
		"did fallback unknown": func(c *Config) { c.DIDs[0].Fallback = "1999" },
	} {
		cfg := DefaultConfig()
		mod(&cfg)
		_, err := New(cfg)
		if (err == nil) != (name == "prefix rules applied") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	d, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if did, ok := d.DID("3612340300"); !ok || did.Flow != "seed-inbound" || did.Fallback != "1001" {
		t.Errorf("DID = %+v, %v", did, ok)
	}
	r := OutRoute{Trunk: "carrier", StripPrefix: "00", Prepend: "+"}
	if got := r.DialString("0036301234567"); got != "PJSIP/+36301234567@carrier" {
		t.Errorf("dial string %s", got)
	}
}
