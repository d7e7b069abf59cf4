// Package admin runs callctl's administrative commands (users, agents, CDR
// queries …) whether or not the daemon is running.
//
// The daemon holds the bbolt file's lock, so while it runs the CLI cannot
// open the database. The daemon therefore serves the same commands on a unix
// socket in its data directory (mode 0600: only its owner may use it), and
// Exec tries that socket first and opens the database itself only when no
// daemon answers. Either way the same Command function runs, so the two
// paths cannot drift apart.
package admin
