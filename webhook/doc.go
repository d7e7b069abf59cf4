// Package webhook sends callctl's outbound API calls (seeds/vipex-api-
// clients-hu.txt): the incoming-call notification (call_notify), the data
// query (data_query) and the end-of-call data with sub-CDRs (call_end), and
// form-encoded events to other targets (extension event subscriptions),
// from a durable outbox, signed as Standard Webhooks.
//
// Core types:
//   - Client: one configured connection (stored in the database, changed
//     at run time through the admin commands): URL, GET or POST, the chosen
//     parameters or a template, headers, Basic auth, an API key as header,
//     query parameter or body field, timeout, retry schedule, recording,
//     triggers, signing secret.
//   - Outbox: New loads it; OnFinished, Notify and EnqueueEvent queue
//     deliveries inside the caller's *store.Tx (the transactional outbox:
//     a finished call and its deliveries commit together); Run sends them;
//     Query asks a data_query client synchronously; Test sends a sample.
//   - Delivery: one message for one client, with its stable webhook-id,
//     attempts, next attempt time and last error.
//   - Transport (HTTPTransport): sends a rendered Request and classifies a
//     failure as worth retrying or not (*SendError).
//
// Delivery is a chain of small stages: claim (the in-memory scheduler picks
// a due delivery its lane has room for), render (read the delivery, its
// client and the record, build the request), send (the transport),
// classify (the transport's verdict and the client's schedule give the
// next state) and record (group commits of results). The scheduler is
// loaded from the outbox once at start and kept current by enqueues after
// their commit and by recorded results; a timer wakes it for the next due
// retry. Nothing polls or scans the outbox while callctl runs.
//
// Guarantees:
//   - At least once: a delivery leaves the outbox only when its result is
//     committed. After a crash, attempts that were under way are sent
//     again with the same webhook-id (the receiver's idempotency key).
//   - In order per call and client: a later delivery of a call waits until
//     the earlier one is delivered or failed for good.
//   - Retries: network errors, timeouts, 408, 429 and 5xx, on the client's
//     schedule (default the Standard Webhooks one: at once, 5 s, 5 min,
//     30 min, 2 h, 5 h, 10 h, 10 h), ±20 % jitter, Retry-After honoured
//     when longer (up to a day). Other answers, and an exhausted schedule,
//     fail the delivery for good: it stays in the outbox as failed
//     (`webhook log --failed`) until `webhook retry`. When a lane's
//     receiver answers again after failures, its waiting deliveries are
//     brought forward instead of waiting out their backoff.
//   - Bodies are rendered at send time: call_end reads the stored record
//     and, with include_recording, the recording file then, so a backlog
//     holds ids, not audio.
//
// Caveats:
//   - A delivery that failed for good no longer holds up the later ones of
//     its call; retried, it arrives after them.
//   - Redirects are not followed; link-local destinations are refused when
//     a client is saved and again at connect time unless
//     webhook.allow_link_local.
//   - A receiver's answer is read up to 64 KiB.
//   - Recordings are read whole into memory (up to
//     webhook.max_recording_bytes; larger ones are sent without
//     monitor_file).
//
// Metrics (namespace callctl, subsystem webhook): deliveries_total{kind,
// result}, attempts_total{kind,reason}, attempt_duration_seconds{kind},
// pending, oldest_pending_age_seconds.
package webhook
