// Package cel reads Asterisk's Channel Event Logging (CEL) rows from the
// SQLite file cel_sqlite3_custom writes, and translates them into the CDR
// tracker's events, so that calls callctl did not see over AMI (it was not
// running, or lost its connection) are rebuilt by the same tracker.
package cel
