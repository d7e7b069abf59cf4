package recording

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"time"
)

// A reference names one call's (or one sub-record's) recording for the
// VIPeX get_record action without revealing where the file is: base64url
// (no padding) of a version byte, the record id, the sub-record id (0 for
// the main record), the expiry in Unix seconds, each 8 bytes big-endian,
// and the first 16 bytes of an HMAC-SHA256 of all that under the signer's
// key. 55 characters, safe in URLs and form values.
const (
	refVersion = 1
	refBody    = 1 + 8 + 8 + 8
	refMAC     = 16
	refLen     = refBody + refMAC
	// RefKeySize is the size of the signing key NewRefSigner wants.
	RefKeySize = 32
)

// Ref is what a verified reference names.
type Ref struct {
	RecordID uint64    // the main record
	LegID    uint64    // the sub-record; 0: the main record's recording
	Expires  time.Time // not valid from this second on
}

// RefSigner signs and verifies references. Safe for concurrent use.
type RefSigner struct{ key []byte }

// NewRefSigner returns a signer with key (RefKeySize random bytes, kept
// across restarts: references signed before a restart must verify after).
func NewRefSigner(key []byte) (*RefSigner, error) {
	if len(key) < RefKeySize {
		return nil, fmt.Errorf("recording: reference key of %d bytes, want %d", len(key), RefKeySize)
	}
	return &RefSigner{key: append([]byte(nil), key...)}, nil
}

// Sign returns the reference to the recording of record id (legID 0) or of
// its sub-record legID, valid until expires.
func (s *RefSigner) Sign(recordID, legID uint64, expires time.Time) string {
	b := make([]byte, 0, refLen)
	b = append(b, refVersion)
	b = binary.BigEndian.AppendUint64(b, recordID)
	b = binary.BigEndian.AppendUint64(b, legID)
	b = binary.BigEndian.AppendUint64(b, uint64(expires.Unix()))
	b = append(b, s.mac(b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Verify checks ref at time now: ErrBadRef when it is malformed or was not
// signed with this key (changed in any way), ErrRefExpired when it is
// genuine but past its expiry.
func (s *RefSigner) Verify(ref string, now time.Time) (Ref, error) {
	if len(ref) != base64.RawURLEncoding.EncodedLen(refLen) {
		return Ref{}, ErrBadRef
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(ref)
	if err != nil || len(b) != refLen || b[0] != refVersion {
		return Ref{}, ErrBadRef
	}
	if !hmac.Equal(b[refBody:], s.mac(b[:refBody])) {
		return Ref{}, ErrBadRef
	}
	r := Ref{
		RecordID: binary.BigEndian.Uint64(b[1:9]),
		LegID:    binary.BigEndian.Uint64(b[9:17]),
		Expires:  time.Unix(int64(binary.BigEndian.Uint64(b[17:25])), 0),
	}
	if !now.Before(r.Expires) {
		return r, ErrRefExpired
	}
	return r, nil
}

func (s *RefSigner) mac(body []byte) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write(body)
	return h.Sum(nil)[:refMAC]
}
