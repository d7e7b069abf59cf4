package recording

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRefRoundTrip(t *testing.T) {
	s, err := NewRefSigner(bytes.Repeat([]byte{7}, RefKeySize))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	ref := s.Sign(91059, 91064, now.Add(time.Hour))
	if len(ref) != 55 || strings.ContainsAny(ref, "+/=") {
		t.Fatalf("ref %q: want 55 URL-safe characters", ref)
	}
	got, err := s.Verify(ref, now)
	if err != nil || got.RecordID != 91059 || got.LegID != 91064 || !got.Expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("Verify = %+v, %v", got, err)
	}
	if _, err := s.Verify(ref, now.Add(time.Hour)); !errors.Is(err, ErrRefExpired) {
		t.Fatalf("at expiry: %v, want ErrRefExpired", err)
	}
}

func TestRefTamperedOrForeignIsRefused(t *testing.T) {
	s, _ := NewRefSigner(bytes.Repeat([]byte{7}, RefKeySize))
	other, _ := NewRefSigner(bytes.Repeat([]byte{8}, RefKeySize))
	now := time.Unix(1_800_000_000, 0)
	ref := s.Sign(5, 0, now.Add(time.Hour))
	raw, _ := base64.RawURLEncoding.DecodeString(ref)
	// Every single changed byte (another record, leg, a later expiry, the MAC).
	for i := range raw {
		b := append([]byte(nil), raw...)
		b[i] ^= 1
		if _, err := s.Verify(base64.RawURLEncoding.EncodeToString(b), now); !errors.Is(err, ErrBadRef) {
			t.Errorf("byte %d changed: %v, want ErrBadRef", i, err)
		}
	}
	for _, bad := range []string{"", "x", ref + "A", ref[:54], strings.Repeat("A", 55), other.Sign(5, 0, now.Add(time.Hour)), "/var/spool/asterisk/monitor/x.wav"} {
		if _, err := s.Verify(bad, now); !errors.Is(err, ErrBadRef) {
			t.Errorf("Verify(%q) = %v, want ErrBadRef", bad, err)
		}
	}
	if _, err := NewRefSigner([]byte("short")); err == nil {
		t.Error("a short key was accepted")
	}
}

func TestReadBase64(t *testing.T) {
	b := newBed(t)
	b.write("{a}/1.wav", "RIFF....WAVE")
	b.write("{out}/secret.wav", "secret")
	got, err := b.st.ReadBase64(b.x("{a}/1.wav"), 0)
	if err != nil || got != base64.StdEncoding.EncodeToString([]byte("RIFF....WAVE")) {
		t.Fatalf("ReadBase64 = %q, %v", got, err)
	}
	if _, err := b.st.ReadBase64(b.x("{a}/1.wav"), 4); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
	if _, err := b.st.ReadBase64(b.x("{out}/secret.wav"), 0); !errors.Is(err, ErrOutsideRoots) && !errors.Is(err, ErrSourceUnreadable) {
		t.Errorf("outside the roots: %v", err)
	}
	if _, err := b.st.ReadBase64(b.x("{a}/missing.wav"), 0); !errors.Is(err, ErrSourceUnreadable) {
		t.Errorf("missing: %v", err)
	}
}
