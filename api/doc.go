// Package api is callctl's HTTP API: one mux for every dialect, with what
// they share done once — request body limits and form reading, the
// authentication of users and their permission for the core action a
// request maps to, the HTTP status of an outcome, request metrics and
// the logging of refused requests.
//
// A dialect (api/voipsun, api/rest at /api/ver1.0; the VIPeX dialect at
// /?rt=api next) is a Dialect mounted on the Server: it decodes a request into a Call — its own action name, the core
// action (callflow.Action) the user must be permitted, the credentials, and
// a function that calls the core's Services — and encodes the result or the
// error in its own format. The Server runs every request the same way:
// decode, authorize, run, encode, observe. So a permission holds in every
// dialect, and no dialect can forget a check or a metric. A Call marked
// Bearer is authorized by its OAuth access token (Options.Tokens, the
// api/oauth applications) instead of a user's credentials. Endpoints that
// are no dialect's calls (the OAuth token endpoint) are mounted with
// MountHandler: the body limit and the metrics still apply.
//
// Errors: what the api layer finds is one of its sentinels (ErrUnknownAction,
// ErrMethodNotAllowed, ErrBodyTooLarge, ErrUnauthorized, ErrBusy,
// ErrThrottled) or a *RequestError; the core's are *callflow.Error. Status
// is the one mapping of an outcome to an HTTP status, in the dialect's
// Style; Result is its metric label.
//
// Caveats: values the api layer echoes (a parameter given twice) are
// clipped to MaxEcho bytes; refused requests before authentication are
// logged at most a few lines a second, with a count of those left out.
//
// Metrics (namespace callctl, subsystem api):
// request_duration_seconds{dialect,action,result}: the dialect's action
// name ("unknown" for none) and Result.
package api
