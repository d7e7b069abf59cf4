// Package ari is callctl's connection to the Asterisk REST Interface: the
// Stasis application "callctl", its event stream, and the REST calls that
// control channels, bridges, playbacks, recordings and endpoints.
//
// It keeps github.com/CyCoreSystems/ari (v5) inside: the library's data
// types decode Asterisk's JSON, but its transport is not used, because at
// v5.3.1 it cannot be contained (no contexts or HTTP timeout, a websocket
// reader that panics on event types it does not know — Asterisk 22 has seven —
// and reconnects silently). Instead:
//
//   - every REST call takes a context and runs on an http.Client with a
//     timeout; errors carry the HTTP status and Asterisk's message (*Error);
//   - the websocket is dialled under a deadline, reconnected with capped
//     exponential backoff, and any event type decodes (unknown ones keep their
//     raw JSON);
//   - a watchdog asks for /asterisk/info periodically: an unanswered watchdog
//     makes the client unready, and a changed startup time (Asterisk
//     restarted) forces a reconnect, which registers the application again;
//   - events go to subscribers through bounded queues (a drop is counted and
//     reported to the subscriber as an EventsLost event), with Connected,
//     Disconnected and AsteriskRestarted events in the stream;
//   - ids and names that go into URL paths are limited to a safe character set.
//
// Core types: Client (Run, Subscribe and the REST calls), Event, Channel,
// Bridge, Playback, LiveRecording, StoredRecording, Endpoint.
//
// Caveats: stored recordings have no move in ARI; MoveStoredRecording copies
// then deletes. Playback and recording events name their target in TargetURI
// ("channel:ID"), not in Channel.
//
// Metrics (namespace callctl, subsystem ari): connected, reconnects_total,
// asterisk_restarts_total, events_received_total, events_dropped_total{subscriber},
// request_duration_seconds{operation,result}.
package ari
