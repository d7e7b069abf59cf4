package webhook

import (
	"math/rand/v2"
	"time"
)

// maxRetryAfter caps how long a receiver's Retry-After may hold a delivery.
const maxRetryAfter = 24 * time.Hour

// nextWait returns the wait before the attempt after attempts failed ones,
// on schedule (schedule[i] is the wait before attempt i+1), and false when
// the schedule is used up. Waits get ±20 % jitter, so that deliveries that
// failed together do not come back together; a receiver's Retry-After
// (after) is honoured when it asks for longer.
func nextWait(schedule []time.Duration, attempts int, after time.Duration) (time.Duration, bool) {
	if attempts >= len(schedule) {
		return 0, false
	}
	d := schedule[attempts]
	if d > 0 {
		d = time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	}
	return max(d, min(after, maxRetryAfter)), true
}
