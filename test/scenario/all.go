package scenario

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/callctl/callctl/ami"
	"github.com/callctl/callctl/test/phone"
)

// All scenarios, in the order the recorder plays them.
var All = []Scenario{
	{"outbound-answered", "1000 calls 3630111222; the carrier answers after 1 s; 1000 hangs up after 2 s", outboundAnswered},
	{"outbound-busy", "1000 calls 3630111222; the carrier answers busy (486)", outboundBusy},
	{"outbound-noanswer", "1000 calls 3630111222; nobody answers; 1000 gives up after 3 s", outboundNoAnswer},
	{"internal", "1000 calls 1001; 1001 answers after 1 s; 1001 hangs up after 2 s", internal},
	{"inbound-answered", "3630999888 calls DID 36123451001; 1001 answers after 1 s; the caller hangs up after 2 s", inboundAnswered},
	{"inbound-missed", "3630999888 calls DID 36123451001; 1001 does not answer; the caller gives up after 3 s", inboundMissed},
	{"ring-group", "DID 3612340100 rings 1001 and 1002; 1002 answers after 1.5 s and hangs up after 2 s", ringGroup},
	{"queue-second-agent", "DID 3612340200 enters queue support (linear: 1001 then 1002); 1001 does not answer in 5 s; 1002 answers; the caller hangs up after 2 s", queueSecondAgent},
	{"blind-transfer", "the carrier calls 1001; 1001 answers and blind-transfers to 1002; 1002 answers; the caller hangs up after 2 s", blindTransfer},
	{"attended-transfer", "the carrier calls 1001; 1001 answers, calls 1002, 1002 answers, 1001 completes the transfer; 1002 hangs up after 2 s", attendedTransfer},
	{"pickup", "the carrier calls 1001; while it rings 1002 dials *8 and picks the call up; 1002 hangs up after 2 s", pickup},
	{"click-to-call", "AMI Originate rings 1000; on answer 1000 is connected to 3630111222; the carrier answers; 1000 hangs up after 2 s", clickToCall},
	{"ivr-queue", "the seed's inbound example: DID 3612340300 enters call flow 200 (IVR, digits 1 then 2, tags), then queue support: 1001 is busy, 1002 answers after 2 s; the caller hangs up after 3 s", ivrQueue},
	{"restart-mid-call", "the carrier calls 1001, 1001 answers; Asterisk is killed (as in a crash) and started again while the call is up", restartMidCall},
}

func outboundAnswered(ctx context.Context, e *Env) error {
	e.Phone("carrier").SetAnswer(phone.AnswerAfter(time.Second))
	c, err := e.Phone("1000").Dial(ctx, External)
	if err != nil {
		return err
	}
	if _, err := answered(ctx, e.Phone("carrier")); err != nil {
		return err
	}
	if err := c.WaitAnswered(ctx); err != nil {
		return err
	}
	if err := sleep(ctx, 2*time.Second); err != nil {
		return err
	}
	return c.Hangup(ctx)
}

func outboundBusy(ctx context.Context, e *Env) error {
	e.Phone("carrier").SetAnswer(phone.Busy())
	c, err := e.Phone("1000").Dial(ctx, External)
	if err != nil {
		return err
	}
	end, err := c.WaitEnded(ctx)
	if err != nil {
		return err
	}
	if end.Reason != phone.ReasonRejected {
		return fmt.Errorf("call ended by %v, want a rejection", end)
	}
	return nil
}

func outboundNoAnswer(ctx context.Context, e *Env) error {
	c, err := e.Phone("1000").Dial(ctx, External)
	if err != nil {
		return err
	}
	if _, err := e.Phone("carrier").Incoming(ctx); err != nil {
		return err
	}
	if err := sleep(ctx, 3*time.Second); err != nil {
		return err
	}
	return c.Hangup(ctx)
}

func internal(ctx context.Context, e *Env) error {
	e.Phone("1001").SetAnswer(phone.AnswerAfter(time.Second).HangupAfter(2 * time.Second))
	c, err := e.Phone("1000").Dial(ctx, "1001")
	if err != nil {
		return err
	}
	if err := c.WaitAnswered(ctx); err != nil {
		return err
	}
	_, err = c.WaitEnded(ctx)
	return err
}

func inboundAnswered(ctx context.Context, e *Env) error {
	e.Phone("1001").SetAnswer(phone.AnswerAfter(time.Second))
	c, err := e.Phone("carrier").Dial(ctx, "36123451001", phone.WithCallerNumber(Caller))
	if err != nil {
		return err
	}
	if err := c.WaitAnswered(ctx); err != nil {
		return err
	}
	if err := sleep(ctx, 2*time.Second); err != nil {
		return err
	}
	return c.Hangup(ctx)
}

func inboundMissed(ctx context.Context, e *Env) error {
	c, err := e.Phone("carrier").Dial(ctx, "36123451001", phone.WithCallerNumber(Caller))
	if err != nil {
		return err
	}
	if _, err := e.Phone("1001").Incoming(ctx); err != nil {
		return err
	}
	if err := sleep(ctx, 3*time.Second); err != nil {
		return err
	}
	return c.Hangup(ctx)
}

func ringGroup(ctx context.Context, e *Env) error {
	e.Phone("1002").SetAnswer(phone.AnswerAfter(1500 * time.Millisecond).HangupAfter(2 * time.Second))
	c, err := e.Phone("carrier").Dial(ctx, "3612340100", phone.WithCallerNumber(Caller))
	if err != nil {
		return err
	}
	if err := c.WaitAnswered(ctx); err != nil {
		return err
	}
	_, err = c.WaitEnded(ctx)
	return err
}

func queueSecondAgent(ctx context.Context, e *Env) error {
	remove, err := queueMembers(ctx, e, "support", "1001", "1002")
	if err != nil {
		return err
	}
	defer remove()
	e.Phone("1002").SetAnswer(phone.AnswerAfter(time.Second))
	c, err := e.Phone("carrier").Dial(ctx, "3612340200", phone.WithCallerNumber(Caller))
	if err != nil {
		return err
	}
	if err := c.WaitAnswered(ctx); err != nil {
		return err
	}
	if _, err := answered(ctx, e.Phone("1002")); err != nil {
		return err
	}
	if err := sleep(ctx, 2*time.Second); err != nil {
		return err
	}
	return c.Hangup(ctx)
}

func blindTransfer(ctx context.Context, e *Env) error {
	e.Phone("1001").SetAnswer(phone.AnswerAfter(500 * time.Millisecond))
	e.Phone("1002").SetAnswer(phone.AnswerAfter(time.Second))
	c, err := e.Phone("carrier").Dial(ctx, "36123451001", phone.WithCallerNumber(Caller))
	if err != nil {
		return err
	}
	leg, err := answered(ctx, e.Phone("1001"))
	if err != nil {
		return err
	}
	if err := e.WaitBridged(ctx, "1001"); err != nil {
		return err
	}
	if err := sleep(ctx, time.Second); err != nil {
		return err
	}
	if err := leg.BlindTransfer(ctx, "1002"); err != nil {
		return err
	}
	if _, err := answered(ctx, e.Phone("1002")); err != nil {
		return err
	}
	if err := e.WaitBridged(ctx, "1002"); err != nil {
		return err
	}
	if err := sleep(ctx, 2*time.Second); err != nil {
		return err
	}
	return c.Hangup(ctx)
}

func attendedTransfer(ctx context.Context, e *Env) error {
	e.Phone("1001").SetAnswer(phone.AnswerAfter(500 * time.Millisecond))
	e.Phone("1002").SetAnswer(phone.AnswerAfter(time.Second))
	if _, err := e.Phone("carrier").Dial(ctx, "36123451001", phone.WithCallerNumber(Caller)); err != nil {
		return err
	}
	first, err := answered(ctx, e.Phone("1001"))
	if err != nil {
		return err
	}
	if err := e.WaitBridged(ctx, "1001"); err != nil {
		return err
	}
	if err := first.Hold(ctx); err != nil {
		return err
	}
	consult, err := e.Phone("1001").Dial(ctx, "1002")
	if err != nil {
		return err
	}
	if err := consult.WaitAnswered(ctx); err != nil {
		return err
	}
	target, err := e.Phone("1002").Incoming(ctx)
	if err != nil {
		return err
	}
	if err := e.WaitBridged(ctx, "1002"); err != nil {
		return err
	}
	if err := sleep(ctx, time.Second); err != nil {
		return err
	}
	if err := first.AttendedTransfer(ctx, consult); err != nil {
		return err
	}
	if err := sleep(ctx, 2*time.Second); err != nil {
		return err
	}
	return target.Hangup(ctx)
}

func pickup(ctx context.Context, e *Env) error {
	c, err := e.Phone("carrier").Dial(ctx, "36123451001", phone.WithCallerNumber(Caller))
	if err != nil {
		return err
	}
	if _, err := e.Phone("1001").Incoming(ctx); err != nil {
		return err
	}
	if err := sleep(ctx, 1500*time.Millisecond); err != nil {
		return err
	}
	p, err := e.Phone("1002").Dial(ctx, "*8")
	if err != nil {
		return err
	}
	if err := p.WaitAnswered(ctx); err != nil {
		return err
	}
	if err := c.WaitAnswered(ctx); err != nil {
		return err
	}
	if err := sleep(ctx, 2*time.Second); err != nil {
		return err
	}
	return p.Hangup(ctx)
}

func clickToCall(ctx context.Context, e *Env) error {
	e.Phone("1000").SetAnswer(phone.AnswerAfter(time.Second))
	e.Phone("carrier").SetAnswer(phone.AnswerAfter(time.Second))
	resp, err := e.AMI.Originate(ctx, ami.Action{Headers: map[string]string{
		"Channel": "PJSIP/1000", "Context": "from-internal", "Exten": External, "Priority": "1",
		"CallerID": `"Dialer" <000>`, "Timeout": "20000",
	}})
	if err != nil {
		return err
	}
	if resp["Response"] != "Success" {
		return fmt.Errorf("originate: %v", resp)
	}
	src, err := e.Phone("1000").Incoming(ctx)
	if err != nil {
		return err
	}
	if _, err := answered(ctx, e.Phone("carrier")); err != nil {
		return err
	}
	if err := sleep(ctx, 2*time.Second); err != nil {
		return err
	}
	return src.Hangup(ctx)
}

func ivrQueue(ctx context.Context, e *Env) error {
	remove, err := queueMembers(ctx, e, "support", "1001", "1002")
	if err != nil {
		return err
	}
	defer remove()
	e.Phone("1001").SetAnswer(phone.Busy())
	e.Phone("1002").SetAnswer(phone.AnswerAfter(2 * time.Second))
	c, err := e.Phone("carrier").Dial(ctx, "3612340300", phone.WithCallerNumber(Caller))
	if err != nil {
		return err
	}
	if err := c.WaitAnswered(ctx); err != nil { // the call flow answers
		return err
	}
	for _, d := range []string{"1", "2"} {
		if err := sleep(ctx, time.Second); err != nil {
			return err
		}
		if err := c.SendDTMF(ctx, d); err != nil {
			return err
		}
	}
	if _, err := answered(ctx, e.Phone("1002")); err != nil {
		return err
	}
	if err := sleep(ctx, 3*time.Second); err != nil {
		return err
	}
	return c.Hangup(ctx)
}

func restartMidCall(ctx context.Context, e *Env) error {
	if e.Restart == nil {
		return errors.New("this environment cannot restart Asterisk")
	}
	e.Phone("1001").SetAnswer(phone.AnswerAfter(500 * time.Millisecond))
	c, err := e.Phone("carrier").Dial(ctx, "36123451001", phone.WithCallerNumber(Caller))
	if err != nil {
		return err
	}
	if err := c.WaitAnswered(ctx); err != nil {
		return err
	}
	if err := sleep(ctx, time.Second); err != nil {
		return err
	}
	if err := e.Restart(); err != nil {
		return err
	}
	// The phones never hear of the end of the call: forget it.
	c.Hangup(ctx)
	for !e.AMI.Ready() {
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}
