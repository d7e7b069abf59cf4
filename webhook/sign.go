package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"strconv"
	"strings"
)

// Standard Webhooks (https://www.standardwebhooks.com/): every request
// carries webhook-id (the delivery's, the same on every retry: the
// receiver's idempotency key), webhook-timestamp (the attempt's Unix
// seconds) and, when the client has a secret, webhook-signature:
// "v1," and the base64 HMAC-SHA256, under the secret's bytes, of
// "<id>.<timestamp>.<body>".
const (
	headerID        = "Webhook-Id"
	headerTimestamp = "Webhook-Timestamp"
	headerSignature = "Webhook-Signature"
)

// signature returns the webhook-signature value.
func signature(key []byte, id string, ts int64, body []byte) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write([]byte(strconv.FormatInt(ts, 10)))
	h.Write([]byte{'.'})
	h.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(h.Sum(nil))
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newWebhookID returns a fresh delivery id: "msg_" and 128 random bits.
func newWebhookID() string {
	var b [16]byte
	rand.Read(b[:])
	return "msg_" + strings.ToLower(idEncoding.EncodeToString(b[:]))
}
