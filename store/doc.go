// Package store is callctl's embedded database: one bbolt file in the data
// directory.
//
// Open takes an exclusive lock on the file (a second process gets ErrLocked
// after the lock timeout), creates the buckets and runs pending schema
// migrations in one transaction. All access is through View and Update, which
// commit when the function returns nil and roll back on an error or a panic.
// A finished call's records and everything that must follow them (webhook
// deliveries) are written by one Update: that is the transactional outbox.
//
// Keys: integer ids come from bucket sequences and are stored big-endian
// (IDKey), so cursors walk them in order; time indexes use TimeKey, a
// fixed-width UTC nanosecond prefix followed by the id.
//
// Caveats: byte slices returned by a Tx are valid only inside the
// transaction; GetJSON and the other helpers copy what they return. Only one
// Update runs at a time; keep them short.
package store
