package recording

import (
	"strings"
	"testing"
)

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // "" = valid
	}{
		{"default", DefaultConfig(), ""},
		{"trailing slash and prefix", Config{Roots: []string{"/var/spool/asterisk/monitor/"}, HostPrefix: "/srv/chroot/"}, ""},
		{"prefix slash", Config{Roots: []string{"/r"}, HostPrefix: "/"}, ""},
		{"no roots", Config{}, "none configured"},
		{"empty root", Config{Roots: []string{""}}, "absolute"},
		{"relative root", Config{Roots: []string{"var/spool"}}, "absolute"},
		{"NUL in root", Config{Roots: []string{"/var/\x00"}}, "absolute"},
		{"filesystem root", Config{Roots: []string{"/tmp/.."}}, "filesystem root"},
		{"relative prefix", Config{Roots: []string{"/r"}, HostPrefix: "chroot"}, "host_prefix"},
		{"long root", Config{Roots: []string{"/" + strings.Repeat("x", maxPath)}}, "absolute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := New(tt.cfg)
			if tt.wantErr == "" {
				if err != nil || st == nil {
					t.Fatalf("New: %v", err)
				}
				if tt.cfg.Validate() != nil {
					t.Fatal("Validate disagrees with New")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New: err %v, want it to mention %q", err, tt.wantErr)
			}
			if tt.cfg.Validate() == nil {
				t.Fatal("Validate disagrees with New")
			}
		})
	}
}

func TestNewCleans(t *testing.T) {
	st := mustNew(t, Config{Roots: []string{"/a/b/../c/"}, HostPrefix: "/srv//chroot/"})
	if st.roots[0] != "/a/c" || st.prefix != "/srv/chroot" {
		t.Fatalf("roots %q prefix %q", st.roots, st.prefix)
	}
	if st := mustNew(t, Config{Roots: []string{"/r"}, HostPrefix: "/"}); st.prefix != "" {
		t.Fatalf("prefix %q, want empty", st.prefix)
	}
}
