package redis

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// LoadCA makes tc trust the certificates of the PEM file caFile (and only
// them) as roots when it verifies the Redis server (REDIS_TLS_CA_FILE).
func LoadCA(tc *tls.Config, caFile string) error {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return fmt.Errorf("cannot read redis CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("cannot load redis CA file %s: no PEM certificate in it", caFile)
	}
	tc.RootCAs = pool
	return nil
}
