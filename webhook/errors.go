package webhook

import "errors"

// Errors of the package, wrapped with %w (test with errors.Is).
var (
	// ErrLinkLocal: the destination is a link-local address (169.254.0.0/16,
	// fe80::/10) and webhook.allow_link_local is off. Checked when a client
	// is added and again on every connection (a name may resolve to one).
	ErrLinkLocal = errors.New("link-local destinations are refused (webhook.allow_link_local)")
	// ErrNoClient: no client has that name.
	ErrNoClient = errors.New("webhook: no such client")
	// ErrWrongKind: the client is not of the kind the call needs (Query
	// wants a data_query client).
	ErrWrongKind = errors.New("webhook: the client is of another kind")
	// ErrStatus: the receiver answered with a status other than 2xx
	// (Query; the outbox records it as the delivery's last error).
	ErrStatus = errors.New("webhook: the receiver did not accept the request")
	// ErrAnswerFormat: a data query's answer is neither a JSON object nor
	// a form.
	ErrAnswerFormat = errors.New("webhook: the answer is neither a JSON object nor a form")
)

// ErrNoDelivery: no delivery has that id (it was delivered and has left
// the log, or its client was deleted).
var ErrNoDelivery = errors.New("webhook: no such delivery")
