package extevents

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/callctl/callctl/store"
	"github.com/callctl/callctl/webhook"
)

// Event types.
const (
	DialIn  = "dial-in"
	DialOut = "dial-out"
	Answer  = "answer"
	Hangup  = "hangup"
)

// EventTypes are the event types a subscription may name.
var EventTypes = []string{DialIn, DialOut, Answer, Hangup}

// MaxURLBytes bounds a subscription's URL.
const MaxURLBytes = 2048

// Subscription sends one event type of one extension to a URL.
type Subscription struct {
	ID          uint64 `json:"id"`
	ExtensionID int    `json:"extension_id"`
	URL         string `json:"url"`
	Method      string `json:"method"` // GET or POST
	EventType   string `json:"event_type"`
}

// Spec is what a client gives for a subscription.
type Spec struct {
	URL       string
	Method    string
	EventType string
}

// Errors of the subscription operations.
var (
	// ErrUnknownExtension: no extension of pbx.extensions has the id.
	ErrUnknownExtension = errors.New("extevents: unknown extension")
	// ErrNotFound: the extension has no subscription of the id.
	ErrNotFound = errors.New("extevents: no such event")
)

// InvalidError is a spec that is refused; Field is "url", "method" or
// "event_type".
type InvalidError struct {
	Field, Detail string
}

func (e *InvalidError) Error() string { return "extevents: " + e.Field + ": " + e.Detail }

// Validate checks s as a subscription's spec (an *InvalidError if not).
func Validate(s Spec, allowLinkLocal bool) error {
	switch {
	case s.URL == "":
		return &InvalidError{"url", "missing"}
	case len(s.URL) > MaxURLBytes:
		return &InvalidError{"url", fmt.Sprintf("longer than %d bytes", MaxURLBytes)}
	case strings.ContainsAny(s.URL, "\r\n\x00"):
		return &InvalidError{"url", "no line breaks or NUL"}
	}
	if err := webhook.ValidateURL(s.URL, allowLinkLocal); err != nil {
		var detail string
		if errors.Is(err, webhook.ErrLinkLocal) {
			detail = "link-local addresses are refused"
		} else {
			detail = "want an http:// or https:// URL with a host, no credentials, fragment or spaces"
		}
		return &InvalidError{"url", detail}
	}
	if s.Method != "GET" && s.Method != "POST" {
		return &InvalidError{"method", "want GET or POST"}
	}
	if !isEventType(s.EventType) {
		return &InvalidError{"event_type", "want one of " + strings.Join(EventTypes, ", ")}
	}
	return nil
}

func isEventType(t string) bool {
	for _, e := range EventTypes {
		if e == t {
			return true
		}
	}
	return false
}

// list returns the stored subscriptions that keep returns true for, by id.
func list(tx *store.Tx, keep func(*Subscription) bool) ([]Subscription, error) {
	out := []Subscription{}
	err := tx.Scan(store.BucketExtEvents, nil, nil, func(k, v []byte) (bool, error) {
		var s Subscription
		if err := json.Unmarshal(v, &s); err != nil {
			return false, fmt.Errorf("extevents: subscription %x: %w", k, err)
		}
		if keep == nil || keep(&s) {
			out = append(out, s)
		}
		return true, nil
	})
	return out, err
}

// get returns the subscription id of extension ext.
func get(tx *store.Tx, ext int, id uint64) (Subscription, error) {
	var s Subscription
	ok, err := tx.GetJSON(store.BucketExtEvents, store.IDKey(id), &s)
	if err != nil {
		return s, err
	}
	if !ok || s.ExtensionID != ext {
		return s, ErrNotFound
	}
	return s, nil
}
