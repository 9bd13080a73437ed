package stack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/testcontainers/testcontainers-go"
)

// Source is where a service of the stack comes from.
type Source string

// The sources, in the order they are tried.
const (
	FromEnv       Source = "environment"    // a URL in the environment
	FromContainer Source = "container"      // testcontainers-go, when a Docker engine answers
	FromBinary    Source = "local binaries" // a throwaway process on a free port
)

// probes are the checks choose asks, in order, after the environment.
type probes struct {
	docker func() error // nil when a Docker engine answers
	binary func() error // nil when the local binaries are there
}

// choose answers where a service comes from: the environment's URL when
// one is set, else a container when Docker answers, else local binaries.
// With none of them it answers an error naming every reason, so that the
// caller's Unavailable line says what to install.
func choose(envURL string, p probes) (Source, error) {
	if envURL != "" {
		return FromEnv, nil
	}
	var why []string
	dockerErr := p.docker()
	if dockerErr == nil {
		return FromContainer, nil
	}
	why = append(why, "no Docker engine: "+dockerErr.Error())
	binErr := p.binary()
	if binErr == nil {
		return FromBinary, nil
	}
	why = append(why, binErr.Error())
	return "", errors.New(strings.Join(why, "; "))
}

// DockerTimeout bounds the check that a Docker engine answers.
const DockerTimeout = 3 * time.Second

var (
	dockerOnce sync.Once
	dockerErr  error
)

// dockerAnswers is nil when testcontainers-go finds a Docker engine that
// answers its health check (DOCKER_HOST, the default socket, or a context
// it knows). STACK_NO_DOCKER=1 turns the check off. Asked once per process.
func dockerAnswers() error {
	dockerOnce.Do(func() {
		if os.Getenv("STACK_NO_DOCKER") == "1" {
			dockerErr = errors.New("STACK_NO_DOCKER=1")
			return
		}
		p, err := testcontainers.NewDockerProvider()
		if err != nil {
			dockerErr = err
			return
		}
		defer p.Close()
		ctx, cancel := context.WithTimeout(context.Background(), DockerTimeout)
		defer cancel()
		if err := p.Health(ctx); err != nil {
			dockerErr = fmt.Errorf("docker health check: %w", err)
		}
	})
	return dockerErr
}
