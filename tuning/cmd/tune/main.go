// Command tune plans, checks, applies and reverts the EchoSenseiX host
// tuning profiles (tuning/profiles): `tune plan|check|apply|revert|table`.
// Exit status: 0 done (check: every setting holds), 1 something is off or
// could not be done, 2 bad usage.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}
