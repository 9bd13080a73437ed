package loadgen

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
)

// FreePort returns a TCP port free on every address, chosen in 20000-31999:
// below the kernel's ephemeral range (32768+), so no outgoing connection
// (to Postgres, Redis, ...) takes it between this check and the server's
// bind, as happens with a port from net.Listen(":0").
func FreePort() (int, error) {
	for i := 0; i < 200; i++ {
		port := 20000 + rand.IntN(12000)
		l, err := net.Listen("tcp", ":"+strconv.Itoa(port))
		if err == nil {
			l.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("cannot find a free port in 20000-31999")
}
