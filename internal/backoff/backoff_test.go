package backoff

import (
	"testing"
	"time"
)

func tracker(p Policy) (*Tracker, *time.Time) {
	t := New(p)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t.SetClock(func() time.Time { return now })
	return t, &now
}

var policy = Policy{Free: 3, Base: time.Second, Max: 8 * time.Second, Forget: time.Hour, Trust: 24 * time.Hour, MaxKeys: 100}

func TestHoldDoublesUpToTheMaximum(t *testing.T) {
	tr, now := tracker(policy)
	for i := range 3 {
		if !tr.Allow("u", "192.0.2.1") {
			t.Fatalf("held before failure %d", i+1)
		}
		tr.Failed("u", "192.0.2.1")
	}
	// Holds after the 3rd, 4th … failures: 1 s, 2 s, 4 s, 8 s, 8 s.
	for _, hold := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		if tr.Allow("u", "192.0.2.1") {
			t.Fatalf("not held (expected %v)", hold)
		}
		*now = now.Add(hold - time.Millisecond)
		if tr.Allow("u", "192.0.2.1") {
			t.Fatalf("released before %v", hold)
		}
		*now = now.Add(time.Millisecond)
		if !tr.Allow("u", "192.0.2.1") {
			t.Fatalf("still held after %v", hold)
		}
		tr.Failed("u", "192.0.2.1")
	}
}

func TestFailuresAreForgotten(t *testing.T) {
	tr, now := tracker(policy)
	tr.Failed("u", "192.0.2.1")
	tr.Failed("u", "192.0.2.1")
	*now = now.Add(time.Hour)
	tr.Failed("u", "192.0.2.1")
	if !tr.Allow("u", "192.0.2.1") {
		t.Fatal("held by failures older than Forget")
	}
}

func TestKeys(t *testing.T) {
	tr, _ := tracker(policy)
	for range 3 {
		tr.Failed("u", "2001:db8:1:2::5")
	}
	// The address: an IPv6 client by its /64.
	if tr.Allow("v", "2001:db8:1:2::99") {
		t.Fatal("another host of the same /64 is not held")
	}
	if !tr.Allow("v", "2001:db8:1:3::5") {
		t.Fatal("another /64 is held")
	}
	// The name, from anywhere not trusted.
	if tr.Allow("u", "198.51.100.1") {
		t.Fatal("the name is not held from another address")
	}
	if !tr.Allow("w", "198.51.100.1") {
		t.Fatal("an unrelated name and address are held")
	}
}

func TestTrustedPairIsHeldOnlyByItsOwnFailures(t *testing.T) {
	tr, _ := tracker(policy)
	tr.Succeeded("crm", "192.0.2.10")
	for range 5 {
		tr.Failed("crm", "198.51.100.7") // someone guessing crm
		tr.Failed("other", "192.0.2.10") // crm's address failing for another name
	}
	if !tr.Allow("crm", "192.0.2.10") {
		t.Fatal("the trusted pair is held by others' failures")
	}
	if tr.Allow("crm", "192.0.2.11") || tr.Allow("x", "192.0.2.10") {
		t.Fatal("untrusted pairs are not held")
	}
	for range 3 {
		tr.Failed("crm", "192.0.2.10")
	}
	if tr.Allow("crm", "192.0.2.10") {
		t.Fatal("the trusted pair's own failures do not hold it")
	}
}

func TestKeysAreBounded(t *testing.T) {
	p := policy
	p.MaxKeys = 10
	tr, _ := tracker(p)
	for i := range 100 {
		tr.Failed(string(rune('a'+i%26))+string(rune('a'+i/26)), "192.0.2.1")
		tr.Succeeded(string(rune('a'+i%26))+string(rune('a'+i/26)), "192.0.2.2")
	}
	if len(tr.fails) > p.MaxKeys || len(tr.trusted) > p.MaxKeys {
		t.Fatalf("%d failure keys, %d trusted pairs; max %d", len(tr.fails), len(tr.trusted), p.MaxKeys)
	}
	// The address, failing all along, is still held.
	if tr.Allow("new", "192.0.2.1") {
		t.Fatal("a held address was evicted")
	}
}
