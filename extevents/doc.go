// Package extevents is the extension event subscriptions of the REST API
// (seeds/extension-events-api-en.txt): a client subscribes a URL to one
// event type (dial-in, dial-out, answer, hangup) of one extension (its id in
// pbx.extensions), and callctl sends every such event to it, form-encoded
// (GET: in the query, POST: in the body), through the webhook outbox (its
// event kind: durable, retried, in order per call and subscription).
//
// Subscriptions live in the store (bucket ext_events, keyed by id); an
// in-memory index of which extensions want which event types lets Wants
// answer without I/O. Events are built from the CDR engine's changes
// (cdr.Change) inside the feed's commit transaction (cdrfeed.Outbox):
//
//   - dial-in: a line starts ringing (CallFlow IN, CallStatus CALLING);
//   - dial-out: a line starts a call, on its first change (CallFlow OUT),
//     and an inbound call forwarded out of the PBX, from the extension the
//     call came in for, with Transfered yes;
//   - answer: a line answers (IN), or the call a line made is answered (OUT);
//   - hangup: a line's part ends (IN, CallStatus its dial status) or the
//     call a line made ends (OUT).
//
// Call flows (IVR) and queues are no extensions of pbx.extensions, so their
// own threads have no subscribers; a queue's agents get dial-in, answer and
// hangup for their legs. A line's own leg in a call it owns (click-to-call
// rings the owner first) gives no events: only its dial-out and the OUT
// answer and hangup.
package extevents
