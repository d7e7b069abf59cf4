// Package ami is callctl's connection to the Asterisk Manager Interface.
//
// It wraps github.com/ivahaev/amigo (v0.1.10) and contains that library's
// known faults, so that nothing outside this package sees it:
//
//   - Event lists (CoreShowChannels, QueueStatus, PJSIPShowEndpoints, …) are
//     collected by ActionID until their "EventList: Complete" event: see List.
//   - Responses are matched by ActionID here, under the caller's context; the
//     library's fixed 3-second "Timeout" answer, which it reports as success,
//     is never trusted. A response that does not arrive before the deadline is
//     ErrUnknownOutcome: the action may have run.
//   - Values containing CR, LF or NUL are refused before they reach the wire
//     (the library does not escape them: AMI header injection).
//   - Asterisk reads header lines of at most 1,024 bytes (CR LF included)
//     and at most 128 headers (manager.c's get_input and
//     AST_MAX_MANHEADERS); a longer line fails the action, with an error
//     that lacks the ActionID when that header came after the long line.
//     Action.Variables are therefore split over as many
//     Variable headers as fit. The library's headers are a map, one value
//     per key, so the headers are keyed "Variable", "VAriable",
//     "VaRiable", …: Asterisk matches the name without regard to case. A
//     single variable, or any other header, too long for one line is
//     refused with ErrInvalidValue before the wire.
//   - The library's reader blocks when its event channel is full. Every message
//     is copied into a pump that never blocks: each subscriber has a bounded
//     queue, and an overflow is counted, logged and reported to the subscriber
//     as an EventsLost event so it can resynchronise.
//   - Lines longer than 4,096 bytes are cut by the library's reader; such
//     events are flagged with the Truncated header and counted.
//   - Connection changes are delivered in the event stream as Connected and
//     Disconnected events, so consumers know when to resynchronise.
//   - The library's keepalive is off: its pinger races with its reconnect
//     loop (a data race on the connection id when a session ends within
//     5 s). Ping goes through the normal action path instead; a session
//     whose pings go unanswered is up but not Ready.
//   - StartOriginate returns once Asterisk queued the call and waits for its
//     OriginateResponse later (an asynchronous Originate ignores
//     PreDialGoSub: use the dialplan for pre-dial routines).
//
// Core types: Client (Run, Action, List, Subscribe), Action, Message and
// Subscription. Probe is a one-off login on its own connection, without
// the library (callctl config check).
//
// Caveats: the library cannot be closed and reconnects every second at a fixed
// interval; a Client is meant to live as long as the process. Duplicate
// headers in a message (several "Output:" or "Variable:" lines) overwrite each
// other; do not rely on them.
//
// Metrics (namespace callctl, subsystem ami): connected, events_received_total,
// events_dropped_total{subscriber}, truncated_events_total, reconnects_total,
// action_duration_seconds{action,result}.
package ami
