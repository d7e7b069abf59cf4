// Package callflow is what callctl does to calls: the core actions every
// API dialect exposes, on the real Asterisk through AMI, with the PBX
// directory, the CDR engine's live view and the store.
//
// The core is split by domain, one service each (New returns them in a
// Core):
//
//   - Calls: click-to-call, dial to a context, spying, hang up, list the
//     calls in progress, and the outcomes of the calls it started.
//   - Lines: the lines' and trunks' SIP registrations.
//   - Agents: call-center agents and queues.
//   - Recordings: moving the recording of a finished call.
//
// Requests and results are typed: numbers, durations, a CallerID, a
// Recording, selectors of lines — never a dialect's parameter strings. A
// dialect decodes its wire format into them (its own quirks included),
// calls the service, and encodes the result. Business rules are checked
// once, here.
//
// Errors are *Error: a Kind (what went wrong) and a Field (which part of
// the request), so that each dialect maps them to its own parameter names
// and error numbers in one function. Failures of Asterisk or of the store
// are KindUnavailable: the action may or may not have been carried out.
//
// Each core action has a name (Action): what an API user may be permitted
// to do. Every dialect action maps to one, so a permission holds in every
// dialect.
//
// Calls started (click-to-call, dial, spying) return a CallRef: the id of
// the call's main CDR record, which the CDR engine assigns, with Asterisk's
// linkedid and uniqueid. callctl names the originated channel itself (AMI
// Originate's ChannelId) and waits until the CDR engine's live view shows
// it. What becomes of the call later (answered, failed) is counted in the
// metrics and kept, for a while, in a table of recent outcomes
// (Calls.Outcome).
//
// Caveats: a call is started once Asterisk has queued it. A CallRef whose
// CallID is 0 names a call whose channel the CDR engine did not show within
// the action's deadline (Asterisk refused it at once, or the engine lags);
// its outcome is counted but not kept, as the table is keyed by CallID.
// Every AMI exchange runs under the request's context with a deadline of at
// most Config.ActionTimeout.
//
// Metrics (namespace callctl, subsystem calls): originate_total{action,
// result}: calls started, by core action and outcome (answered, failed,
// unknown).
package callflow
