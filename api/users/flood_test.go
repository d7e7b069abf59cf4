package users_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callctl/callctl/api"
	"github.com/callctl/callctl/api/users"
	"github.com/callctl/callctl/callflow"
	"github.com/callctl/callctl/store/storetest"
)

// login is a dialect for the test: GET /?user=U&password=P, the core
// action list_calls, answered "ok" or the error.
type login struct{}

func (login) Name() string     { return "login" }
func (login) Style() api.Style { return api.REST }
func (login) Decode(r *http.Request) (*api.Call, error) {
	form, err := api.ReadForm(r)
	if err != nil {
		return nil, err
	}
	return &api.Call{Action: "login", Core: callflow.ActionListCalls,
		Credentials: users.Credentials{Name: form.Get("user"), Password: form.Get("password"), ClientIP: api.ClientIP(r)},
		Run:         func(context.Context) (any, error) { return "ok", nil }}, nil
}
func (login) Encode(w http.ResponseWriter, status int, _ *api.Call, res any, err error) {
	w.WriteHeader(status)
	if err != nil {
		fmt.Fprint(w, err)
		return
	}
	fmt.Fprint(w, res)
}

// TestHTTPValidLoginUnderAbandonedBadLogins is the review's flood on
// 127.0.0.1: 150 bad logins whose clients give up after 200 ms, then a
// valid fresh login, which must answer within 1 s (today's main: ~9 s with
// one hashing slot at 60 ms a check). Backoff is off, to test the queue.
func TestHTTPValidLoginUnderAbandonedBadLogins(t *testing.T) {
	db := storetest.New(t)
	if err := users.Add(db, "api", "secret", nil); err != nil {
		t.Fatal(err)
	}
	auth := users.WithoutBackoff(users.NewAuthenticator(db, time.Minute))
	compares := users.SlowHashing(auth, 60*time.Millisecond, 1, 16)
	s := api.New(api.Options{Auth: auth, Log: zerolog.Nop()})
	s.Mount("/", login{})
	srv := httptest.NewServer(s)
	defer srv.Close()

	var wg sync.WaitGroup
	for i := range 150 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/?user=api&password=bad%d", srv.URL, i), nil)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	time.Sleep(100 * time.Millisecond) // the flood is in
	start := time.Now()
	var status int
	var body []byte
	for time.Since(start) < 5*time.Second {
		resp, err := http.Get(srv.URL + "/?user=api&password=secret")
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if status = resp.StatusCode; status != http.StatusServiceUnavailable {
			break
		}
		time.Sleep(20 * time.Millisecond) // busy: a client retries
	}
	took := time.Since(start)
	wg.Wait()
	t.Logf("valid fresh login under 150 abandoned bad logins: %v, HTTP %d %q; %d bcrypt comparisons in all", took, status, body, compares.Load())
	if status != http.StatusOK || took > time.Second {
		t.Fatalf("valid login: HTTP %d %q after %v, want 200 within 1 s", status, body, took)
	}
}
