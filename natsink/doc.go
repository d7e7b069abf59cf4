// Package natsink publishes the changes of calls (cdr.Change: a call
// arriving, lines ringing, answering and hanging up, numbers dialled out,
// the call answered, the call finished) to NATS JetStream, so that a fleet
// of PBX hosts, each with its own callctl, feeds one stream.
//
// It is an outbox beside the webhook one (cdrfeed.Outboxes), with the same
// stages: Enqueue renders a change's message and writes it to the
// nats_outbox bucket inside the CDR engine's commit transaction (with the
// finished call's record: the transactional outbox); Run claims ready
// messages (the head of each call, up to max_in_flight), publishes them
// asynchronously with the stable Nats-Msg-Id, classifies each outcome
// (acknowledged, or a failure that pauses publishing and puts the message
// back at the head of its call) and records the acknowledged ones in group
// commits that remove them and keep the last acknowledgement.
//
// Guarantees:
//   - Done means acknowledged: a message leaves the outbox only after the
//     stream stored it.
//   - In order per call: a call's next message is published only after
//     the previous one was acknowledged. Calls go in parallel.
//   - While NATS is unreachable or the stream is missing, messages wait in
//     the database; the client does not buffer them (publishes fail at
//     once while disconnected) and they drain in order when it is back.
//   - After a crash, messages acknowledged but not yet removed are sent
//     again with their Nats-Msg-Id, and the stream's duplicate window drops
//     them. Consumers can also drop by node_id, linkedid and seq.
//
// Caveats: a message the stream refuses for good (larger than the
// server's max_payload, a stream whose subjects do not take callctl.>) is
// retried forever and holds its call's later messages back; `callctl nats
// status` shows the error. Finished calls carry no recording references
// (the HTTP call_end signs them per client).
package natsink
