// Package hashlimit bounds how many password hashes (bcrypt, ~60 ms of CPU
// each) are checked at once, process-wide, so that a flood of bad
// credentials queues up instead of starving the AMI reader and the CDR
// engine of CPU.
package hashlimit

import "runtime"

// slots allows half the CPUs (at least one) to hash at once.
var slots = make(chan struct{}, max(1, runtime.NumCPU()/2))

// Do runs f when a slot is free.
func Do(f func() error) error {
	slots <- struct{}{}
	defer func() { <-slots }()
	return f()
}
