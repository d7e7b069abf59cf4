package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/ari"
)

// Reachability is what CheckConnections found of one of Asterisk's
// interfaces: Err is nil when it answered, Detail says what answered.
type Reachability struct {
	Name   string // "ami" or "ari"
	Target string // the address or URL tried
	Detail string // Asterisk's version, when it answered
	Err    error
}

// CheckConnections logs in to AMI and asks ARI for /asterisk/info with
// cfg's credentials, both at once, each bounded by its own timeout
// (ami.dial_timeout plus the login, ari.request_timeout) and by ctx.
func CheckConnections(ctx context.Context, cfg Config) []Reachability {
	res := []Reachability{{Name: "ami", Target: cfg.AMI.Addr}, {Name: "ari", Target: cfg.ARI.URL}}
	done := make(chan struct{}, 2)
	go func() {
		defer func() { done <- struct{}{} }()
		actx, cancel := context.WithTimeout(ctx, cfg.AMI.DialTimeout+5*time.Second)
		defer cancel()
		res[0].Detail, res[0].Err = ami.Probe(actx, cfg.AMI.Config)
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		actx, cancel := context.WithTimeout(ctx, cfg.ARI.RequestTimeout)
		defer cancel()
		info, err := ari.New(cfg.ARI.Config, zerolog.Nop(), nil).Info(actx)
		if err != nil {
			res[1].Err = err
			return
		}
		res[1].Detail = info.Version
	}()
	<-done
	<-done
	for i := range res {
		if res[i].Err == nil && res[i].Detail != "" {
			res[i].Detail = fmt.Sprintf("Asterisk %s", res[i].Detail)
		}
	}
	return res
}
