// Package daemon wires callctl together: configuration, logging, the store,
// the AMI and ARI connections, the HTTP server (health, readiness, metrics and
// the API dialects) and the admin socket. cmd/callctl calls Run; integration
// tests run it in-process.
//
// Lifecycle: Run returns when its context ends. It then stops accepting HTTP
// requests, lets the ones in flight finish (up to http.shutdown_timeout),
// stops the consumers and closes the store.
//
// Configuration: LoadConfig reads defaults, the YAML file, CALLCTL_*
// variables and *_file secrets; CheckConfig goes on past the first problem
// and returns them all (unknown keys with their lines, values that do not
// parse, invalid settings), CheckConnections tries AMI and ARI, and
// WriteConfigYAML writes a configuration with a one-line comment per key
// (configComments: a test keeps it complete) — the packaged
// /etc/callctl/callctl.yaml is `callctl config default`.
//
// Readiness (/readyz) is 200 only while the AMI session is up and answers
// pings, the ARI application's websocket is up and Asterisk answers its
// watchdog, and the store is open; otherwise 503 with the reasons, one a line.
package daemon
