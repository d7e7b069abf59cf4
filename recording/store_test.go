package recording

import (
	"errors"
	"io"
	"io/fs"
	"testing"
)

func TestResolve(t *testing.T) {
	b := newBed(t)
	b.write("{a}/1.wav", "one")
	b.symlink("{out}", "{a}/evil")
	b.symlink("{b}", "{a}/tob")
	tests := []struct {
		path, asterisk, host string
		wantErr              error
	}{
		{path: "{a}/1.wav", asterisk: "{a}/1.wav", host: "{a}/1.wav"},
		{path: "{a}/new/dir/x.wav", asterisk: "{a}/new/dir/x.wav", host: "{a}/new/dir/x.wav"},
		{path: "{a}//./new/../1.wav", asterisk: "{a}/1.wav", host: "{a}/1.wav"},
		{path: "{a}", asterisk: "{a}", host: "{a}"},
		{path: "{a}/tob/x/y.wav", asterisk: "{a}/tob/x/y.wav", host: "{b}/x/y.wav"},
		{path: "{a}/1.wav/x", asterisk: "{a}/1.wav/x", host: "{a}/1.wav/x"}, // resolves; opening fails
		{path: "{a}/evil", wantErr: ErrOutsideRoots},
		{path: "{a}/evil/x/y", wantErr: ErrOutsideRoots},
		{path: "{a}/..", wantErr: ErrOutsideRoots},
		{path: "{out}/1.wav", wantErr: ErrOutsideRoots},
		{path: "relative", wantErr: ErrBadName},
		{path: "", wantErr: ErrBadName},
	}
	for _, tt := range tests {
		p, err := b.st.Resolve(b.x(tt.path))
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Resolve(%q) = %+v, %v; want %v", tt.path, p, err, tt.wantErr)
			}
			if b.st.Within(b.x(tt.path)) {
				t.Errorf("Within(%q)", tt.path)
			}
			continue
		}
		if err != nil || p.Asterisk != b.x(tt.asterisk) || p.Host != b.x(tt.host) {
			t.Errorf("Resolve(%q) = %+v, %v; want %s, %s", tt.path, p, err, tt.asterisk, tt.host)
		}
		if !b.st.Within(b.x(tt.path)) {
			t.Errorf("!Within(%q)", tt.path)
		}
	}
}

func TestOpen(t *testing.T) {
	b := newBed(t)
	b.write("{a}/1.wav", "one")
	b.write("{out}/secret.wav", "secret")
	b.symlink("{out}/secret.wav", "{a}/evil.wav")
	b.symlink("{a}/1.wav", "{a}/alias.wav")
	b.mkdir("{a}/dir")
	tests := []struct {
		path       string
		want       string
		wantErr    error
		wantErrToo error
	}{
		{path: "{a}/1.wav", want: "one"},
		{path: "{a}/alias.wav", want: "one"},
		{path: "{a}/evil.wav", wantErr: ErrOutsideRoots},
		{path: "{out}/secret.wav", wantErr: ErrOutsideRoots},
		{path: "{a}/../out/secret.wav", wantErr: ErrOutsideRoots},
		{path: "{a}/dir", wantErr: ErrSourceUnreadable},
		{path: "{a}/nope.wav", wantErr: ErrSourceUnreadable, wantErrToo: fs.ErrNotExist},
		{path: "a/1.wav", wantErr: ErrBadName},
	}
	for _, tt := range tests {
		f, err := b.st.Open(b.x(tt.path))
		if tt.wantErr != nil {
			if f != nil || !errors.Is(err, tt.wantErr) || tt.wantErrToo != nil && !errors.Is(err, tt.wantErrToo) {
				t.Errorf("Open(%q): %v; want %v", tt.path, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Open(%q): %v", tt.path, err)
			continue
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil || string(data) != tt.want {
			t.Errorf("Open(%q) read %q, %v", tt.path, data, err)
		}
	}
}
