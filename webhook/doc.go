// Package webhook will send callctl's outbound API calls: the data query,
// the incoming-call notification and the end-of-call POST with sub-CDRs
// (seeds/vipex-api-clients-hu.txt), and extension event subscriptions,
// from a durable outbox with Standard-Webhooks-style signatures.
//
// Not built yet: it comes with its own issue. What is ready for it: the CDR
// engine commits every finished call in one transaction that runs
// cdrfeed.Feed.OnFinished, where the outbox entries of that call will be
// written (the transactional outbox), and cdr.Record.Seed renders a record
// in the end-of-call body's shape.
package webhook
