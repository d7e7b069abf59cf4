// Package cdr follows calls from AMI channel events and builds, for every
// finished call, a main record and its sub-records (legs) with the fields of
// the VIPeX end-of-call data (seeds/vipex-api-clients-hu.txt) plus callctl's
// own: who answered, who hung up, Asterisk ids, customCDR values, recording.
//
// The package is pure: events in, records out. Tracker.Apply takes one Event
// (ParseAMI makes them from AMI headers) and returns the calls it finished;
// Tracker.Resync reconciles with a CoreShowChannels listing after a
// reconnect; Tracker.Live and Tracker.State copy out the calls in progress.
// There is no clock, no I/O and no goroutine: times come from the events'
// Timestamp header (manager.conf timestampevents=yes), so a recorded event
// log replays to the same records (testdata/*.jsonl, recorded by test/record
// on the test bed).
//
// Calls and legs:
//   - A call is the set of channels sharing a Linkedid. It is finished when
//     none of its channels is left. Its origin is the channel whose Uniqueid is
//     the Linkedid: a trunk makes it inbound (1, or 2 when no line answered),
//     a line makes it outbound (0) when a trunk was dialled, else internal.
//   - A leg is a line's part in a call: every line rung (alone, in a group, as
//     a queue member, as a transfer target), a line that picked the call up,
//     and the time the call spent in a call flow (CALLCTL_FLOW_EXTEN). The
//     calling line of an outbound call is the main record itself.
//   - A group: lines rung by one dial at once, or a line rung while one
//     of them still rings; Local channels dialled together by one dial
//     (a call flow's ring group through callctl-flow-member) are members,
//     and every line they ring (their forwards) is a group leg.
//   - Transfers and pickups move a channel into another call (Asterisk gives
//     it that call's linkedid); its leg ends in the old call and a new one
//     starts in the new call.
//   - Durations are whole seconds between the times as shown (truncated to
//     the second), so duration = ringtime + billsec; Asterisk's own CDR
//     truncates millisecond differences instead and may show one second less.
//
// Variables read from VarSet (set by callctl's call flows and API, or by a
// dialplan): CALLCTL_FLOW_EXTEN, CALLCTL_IVR_DIGITS, CALLCTL_TAGS,
// CALLCTL_CC_CALL, CALLCTL_PINCODE, CALLCTL_CUSTOMCDR1..4, CALLCTL_RECORDING
// and MixMonitor's MIXMONITOR_FILENAME.
//
// Caveats: a Tracker is used by one goroutine. A call that ended while
// callctl could not see Asterisk is closed by Resync at the time it noticed
// (Record.Resynced); a call found already up is Record.Adopted; a call
// rebuilt afterwards from Asterisk's CEL log (package cdr/cel, cdrfeed's
// backfill) is Record.Backfilled.
package cdr
