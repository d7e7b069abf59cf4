package natsink_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/callctl/callctl/natsink"
	"github.com/callctl/callctl/natsink/natstest"
)

// publishOne runs a sink with cfg until one call's changes are
// acknowledged, or fails after a few seconds with the sink's last error.
func publishOne(t *testing.T, cfg natsink.Config) {
	t.Helper()
	db := openDB(t)
	s := newSink(t, db, cfg)
	cs := calls(t, 1)
	enqueue(t, db, s, cs[0], 1)
	stop := run(t, s)
	deadline := time.Now().Add(10 * time.Second)
	for s.Status().Pending > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("not delivered: %+v", s.Status())
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
}

// notDelivered checks that a sink with cfg publishes nothing and says why.
func notDelivered(t *testing.T, cfg natsink.Config, why string) {
	t.Helper()
	db := openDB(t)
	s := newSink(t, db, cfg)
	enqueue(t, db, s, calls(t, 1)[0], 1)
	stop := run(t, s)
	time.Sleep(1500 * time.Millisecond)
	st := s.Status()
	stop()
	if st.Pending == 0 || !strings.Contains(strings.ToLower(st.LastError), why) {
		t.Errorf("status %+v, want pending messages and an error with %q", st, why)
	}
}

func TestUserPasswordAndToken(t *testing.T) {
	srv := natstest.Server(t, func(o *server.Options) { o.Username, o.Password = "pbx", "s3cret" })
	cfg := testConfig(srv.URL())
	cfg.User, cfg.Password = "pbx", "s3cret"
	publishOne(t, cfg)
	cfg.Password = "wrong"
	notDelivered(t, cfg, "authorization")

	tok := natstest.Server(t, func(o *server.Options) { o.Authorization = "t0ken" })
	cfg = testConfig(tok.URL())
	file := filepath.Join(t.TempDir(), "token")
	os.WriteFile(file, []byte("t0ken\n"), 0o600)
	cfg.TokenFile = file
	publishOne(t, cfg)
}

// TLS with the servers' CA in nats.tls.ca; without it the certificate is
// refused.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	caFile, serverTLS := testCertificates(t, dir)
	srv := natstest.Server(t, func(o *server.Options) { o.TLSConfig, o.TLS = serverTLS, true })
	url := strings.Replace(srv.URL(), "nats://", "tls://", 1)
	cfg := testConfig(url)
	cfg.TLS.CA = caFile
	publishOne(t, cfg)
	notDelivered(t, testConfig(url), "certificate")
}

// testCertificates makes a CA (written to dir) and a server certificate
// for 127.0.0.1 signed by it.
func testCertificates(t *testing.T, dir string) (string, *tls.Config) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "nats"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return caFile, &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
}
