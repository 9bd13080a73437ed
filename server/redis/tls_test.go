package redis_test

import (
	"context"
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
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/redis"
	"github.com/echosenseix/echosenseix/server/redis/queue"
)

// TestTLS: a rediss:// URL dials redis-server's TLS port, verifying its
// certificate against the CA file (LoadCA); client-side caching works over
// it; the system's roots refuse the test CA; InsecureSkipVerify accepts it
// only when asked; the job queue dials the same way.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	caFile := writeTestPKI(t, dir)
	port := startTLSRedis(t, dir)
	url := "rediss://127.0.0.1:" + strconv.Itoa(port) + "/0"

	cfg, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("ParseURL(%q) = %v", url, err)
	}
	if err := redis.LoadCA(cfg.TLS, caFile); err != nil {
		t.Fatalf("LoadCA = %v", err)
	}
	ctx := context.Background()
	// One client writes, another reads: the reader's copies are its own
	// (no read-your-writes window) and tracked over TLS.
	if err := redis.NewCache(mustClient(t, cfg), cfg).Set(ctx, "k", []byte("v"), time.Minute); err != nil {
		t.Fatalf("Set over TLS = %v", err)
	}
	c := redis.NewCache(mustClient(t, cfg), cfg)
	for i := range 3 {
		v, ok, err := c.Get(ctx, "k")
		if err != nil || !ok || string(v) != "v" {
			t.Fatalf("Get #%d over TLS = %q, %v, %v; want \"v\", true, nil", i, v, ok, err)
		}
	}
	if st := c.CacheStats(); st.LocalHits == 0 {
		t.Errorf("local hits over TLS: got %d; want > 0 (client-side caching)", st.LocalHits)
	}

	sys, _ := redis.ParseURL(url) // the system's roots do not know the test CA
	if _, err := redis.NewClient(sys); server.ErrorCode(err) != server.EUNAVAILABLE {
		t.Errorf("NewClient with the system's roots: got %v; want EUNAVAILABLE (unknown authority)", err)
	}
	insecure, _ := redis.ParseURL(url)
	insecure.TLS.InsecureSkipVerify = true
	if irc, err := redis.NewClient(insecure); err != nil {
		t.Errorf("NewClient with InsecureSkipVerify: got %v; want connected", err)
	} else {
		irc.Close()
	}
	plain := cfg
	plain.TLS = nil
	if _, err := redis.NewClient(plain); err == nil {
		t.Errorf("NewClient without TLS on the TLS port: got connected; want an error")
	}

	q, err := queue.New(queue.Config{Addr: cfg.Addr, TLS: cfg.TLS, DisableWorkers: true, Prefix: "es_tls_test:"})
	if err != nil {
		t.Fatalf("queue.New over TLS = %v", err)
	}
	if _, err := q.AddJob(ctx, "tls", nil, server.JobOptions{}); err != nil {
		t.Errorf("AddJob over TLS = %v", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = q.Close(cctx)
}

// startTLSRedis starts a redis-server that listens only on a TLS port,
// with the certificates writeTestPKI wrote in dir; it is stopped when t
// ends.
func startTLSRedis(t *testing.T, dir string) int {
	t.Helper()
	bin := stack.Tool(t, "redis-server", "redis-server")
	port := freePort(t)
	cmd := exec.Command(bin, "--port", "0", "--tls-port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--tls-cert-file", filepath.Join(dir, "server.pem"), "--tls-key-file", filepath.Join(dir, "server.key"),
		"--tls-ca-cert-file", filepath.Join(dir, "ca.pem"), "--tls-auth-clients", "no",
		"--save", "", "--appendonly", "no", "--dir", dir)
	logf, err := os.Create(filepath.Join(dir, "redis.log"))
	if err != nil {
		t.Fatalf("cannot create redis log: %v", err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("cannot start redis-server: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
		if err == nil {
			c.Close()
			return port
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			t.Fatalf("redis-server --tls-port %d did not listen within 10 s (this build may lack TLS): %v\n%s", port, err, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("cannot find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// writeTestPKI writes a CA (ca.pem) and a server certificate it signed for
// 127.0.0.1 and localhost (server.pem, server.key) into dir; it answers the
// CA file.
func writeTestPKI(t *testing.T, dir string) string {
	t.Helper()
	caKey := mustKey(t)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "echosenseix test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatalf("cannot create CA certificate: %v", err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key := mustKey(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatalf("cannot create server certificate: %v", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatalf("cannot encode server key: %v", err)
	}
	writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", caDER)
	writePEM(t, filepath.Join(dir, "server.pem"), "CERTIFICATE", der)
	writePEM(t, filepath.Join(dir, "server.key"), "EC PRIVATE KEY", keyDER)
	return filepath.Join(dir, "ca.pem")
}

func mustKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("cannot generate key: %v", err)
	}
	return k
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatalf("cannot write %s: %v", path, err)
	}
}

// TestLoadCA: a file without a PEM certificate, or no file, is an error.
func TestLoadCA(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{bad, filepath.Join(dir, "missing.pem")} {
		if err := redis.LoadCA(&tls.Config{}, f); err == nil {
			t.Errorf("LoadCA(%s): got nil; want an error", f)
		}
	}
	good := writeTestPKI(t, dir)
	tc := &tls.Config{}
	if err := redis.LoadCA(tc, good); err != nil || tc.RootCAs == nil {
		t.Errorf("LoadCA(test CA): got %v, RootCAs %v; want nil and a pool", err, tc.RootCAs)
	}
}
