package oauth

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/api"
)

// Path is where the token endpoint is served, beside /api/ver1.0.
const Path = "/oauth/token"

// Handler is the token endpoint: POST, form-encoded, grant_type
// client_credentials with the client's id and secret in the body
// (client_id, client_secret) or as HTTP Basic authentication, never both.
// It answers the token as RFC 6749 §5.1 does, failures as §5.2.
type Handler struct {
	Tokens *Tokens
	Log    zerolog.Logger
}

// Error codes of RFC 6749 §5.2.
const (
	codeInvalidRequest       = "invalid_request"
	codeInvalidClient        = "invalid_client"
	codeUnsupportedGrantType = "unsupported_grant_type"
)

type tokenReply struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// ErrorReply is an OAuth error body (RFC 6749 §5.2, RFC 6750 §3).
type ErrorReply struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// WriteJSON writes v with status, uncached (RFC 6749 §5.1).
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, desc string) {
		if code == codeInvalidClient {
			w.Header().Set("WWW-Authenticate", `Basic realm="callctl"`)
		}
		WriteJSON(w, status, ErrorReply{Error: code, Description: desc})
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		fail(http.StatusMethodNotAllowed, codeInvalidRequest, "the token endpoint takes POST")
		return
	}
	if mt := r.Header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(strings.TrimSpace(mt)), "application/x-www-form-urlencoded") {
		fail(http.StatusBadRequest, codeInvalidRequest, "the body must be application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(http.StatusRequestEntityTooLarge, codeInvalidRequest, "request body too large")
			return
		}
		fail(http.StatusBadRequest, codeInvalidRequest, "the body cannot be read")
		return
	}
	// RFC 6749 §3.2: parameters sent without a value are treated as
	// omitted; none may be given twice. Only the body counts (§4.4.2).
	form := r.PostForm
	for name, vs := range form {
		if len(vs) > 1 {
			fail(http.StatusBadRequest, codeInvalidRequest, "parameter "+api.Clip(name, api.MaxEcho)+" given more than once")
			return
		}
	}
	switch gt := form.Get("grant_type"); gt {
	case "":
		fail(http.StatusBadRequest, codeInvalidRequest, "missing grant_type")
		return
	case "client_credentials":
	default:
		fail(http.StatusBadRequest, codeUnsupportedGrantType, "only client_credentials is supported")
		return
	}
	id, secret := form.Get("client_id"), form.Get("client_secret")
	if user, pass, ok := r.BasicAuth(); ok {
		if id != "" || secret != "" {
			fail(http.StatusBadRequest, codeInvalidRequest, "authenticate the client one way only: HTTP Basic or the body")
			return
		}
		// RFC 6749 §2.3.1: both are form-encoded before Basic encoding.
		var err1, err2 error
		id, err1 = url.QueryUnescape(user)
		secret, err2 = url.QueryUnescape(pass)
		if err1 != nil || err2 != nil {
			fail(http.StatusUnauthorized, codeInvalidClient, "client authentication failed")
			return
		}
	} else if r.Header.Get("Authorization") != "" {
		fail(http.StatusUnauthorized, codeInvalidClient, "client authentication failed")
		return
	}
	if id == "" || secret == "" {
		fail(http.StatusUnauthorized, codeInvalidClient, "client authentication failed")
		return
	}
	issued, err := h.Tokens.Issue(id, secret)
	switch {
	case errors.Is(err, errBadClient):
		fail(http.StatusUnauthorized, codeInvalidClient, "client authentication failed")
		return
	case err != nil:
		h.Log.Error().Err(err).Msg("oauth: issuing a token")
		WriteJSON(w, http.StatusServiceUnavailable, ErrorReply{Error: "temporarily_unavailable", Description: "try again later"})
		return
	}
	WriteJSON(w, http.StatusOK, tokenReply{AccessToken: issued.AccessToken, TokenType: "Bearer",
		ExpiresIn: int64(issued.ExpiresIn.Seconds())})
}
