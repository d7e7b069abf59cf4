// Package phone provides SIP test phones for callctl's integration tests.
//
// A Phone is a tiny SIP user agent (built on github.com/emiago/sipgo) that
// talks UDP to the Asterisk of the test bed (test/asterisk). It can register
// as an extension, ring and answer (or refuse) incoming calls according to an
// answer mode, place calls, hang up, send DTMF as SIP INFO, put a call on hold
// and transfer calls with REFER. Everything it sees and does is recorded as an
// ordered list of events that tests can assert on.
//
//	p, err := phone.New(phone.Config{User: "1005", Password: "pw1005",
//		Listen: "127.0.0.1:6005", PBX: "127.0.0.1:5060", MediaPort: 26005})
//	defer p.Close()
//	err = p.Register(ctx)
//	p.SetAnswer(phone.AnswerAfter(300 * time.Millisecond))
//	call, err := p.Incoming(ctx) // Asterisk rings 1005
//	err = call.WaitAnswered(ctx)
//	err = call.Hangup(ctx)
//
// The carrier side of the trunk is a Phone too: give it User "carrier", no
// Password and Listen "127.0.0.1:5090"; Asterisk identifies it by address,
// so it neither registers nor authenticates. Dial it with WithCallerNumber to
// present a caller number, and dial the DID as the number.
//
// # Incoming calls
//
// Every new INVITE is answered with 180 Ringing at once; what follows depends
// on the answer mode set by SetAnswer at the time the INVITE arrives:
// AnswerAfter, Busy (486), Reject (any code) or NeverAnswer (the default: ring
// until the caller cancels, or until the test calls Call.Answer, Call.Reject
// or Call.Hangup). A mode may add HangupAfter to send a BYE some time after
// the answer. Incoming returns the calls in the order they arrived, including
// calls that have already ended.
//
// # In a call
//
// Hangup sends a BYE once the call is answered, a CANCEL while an outgoing
// call rings and 603 Decline while an incoming call rings. SendDTMF, Hold,
// Unhold, BlindTransfer and AttendedTransfer work on answered calls. A
// transfer sends a REFER (Refer-To sip:target@PBX, with Replaces for an
// attended transfer), waits for the NOTIFY that reports the outcome and then,
// like a real phone, hangs up its own call. Asterisk answers a REFER with 202
// even for a call that Dial has not bridged yet, then reports 400 in the
// NOTIFY; so tests should transfer only once the call is bridged (for example
// when "core show channels concise" shows a bridge ID for it).
//
// The phone answers OPTIONS, INFO, NOTIFY and UPDATE with 200, and re-INVITEs
// with 200 and an SDP answer whose direction mirrors the offer (sendonly gives
// recvonly, and so on). A BYE, INFO or re-INVITE for an unknown call gets 481.
//
// # Media
//
// SDP offers and answers carry one audio stream, PCMU (payload type 0, or
// PCMA if the offer has only that), on Config.MediaPort of the listen
// address. The phone binds MediaPort and discards all that arrives there; it
// never sends RTP and does not bind the RTCP port. All calls of one phone
// share that port. Keep media ports outside Asterisk's RTP range
// (10000-20000); SIP port + 20000 is a good choice.
//
// # Caveats
//
//   - UDP only, IPv4 addresses only, no TLS, no NAT handling, no
//     registration refresh (Register asks for one hour), no 100rel, no
//     session timers, no early media.
//   - One phone has one SIP socket; Close releases it, so a test may create
//     a phone on the same address again once the previous one is closed.
//   - Close hangs up the calls that are still up and unregisters (best
//     effort, a few seconds at most), then stops everything and waits for the
//     phone's goroutines. Always defer Close.
//   - DTMF is SIP INFO (application/dtmf-relay), one request per digit, which
//     matches the endpoints' dtmf_mode = info. Received INFO digits are
//     collected by Call.DTMF.
//   - CallerNumber is the user part of the From header of the initial
//     INVITE; other identity headers (P-Asserted-Identity, ...) are available
//     through Call.Header.
//   - A phone that vanishes without hanging up (test killed) leaves its
//     Asterisk channel up: Asterisk has no RTP timeout here. Hang such
//     channels up with "channel request hangup".
//   - Incoming queues up to 64 calls; later calls are still handled but not
//     queued.
//   - sipgo refuses to send a UDP message longer than 1300 bytes; keep
//     WithHeader additions small.
//   - The timers of sipgo follow RFC 3261 (T1 = 500 ms), so a transaction
//     that gets no answer at all takes up to 32 s to fail; every blocking
//     method also stops when its context is done.
package phone
