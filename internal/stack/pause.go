package stack

import (
	"errors"
	"fmt"
	"syscall"
)

// Pause freezes the server with SIGSTOP: its connections stay open and new
// ones are still accepted by the kernel, but nothing is answered, as with a
// hung Redis or a network partition. Resume undoes it; Stop works on a
// paused server.
func (s *RedisServer) Pause() error { return s.signal(syscall.SIGSTOP) }

// Resume lets a paused server run again (SIGCONT).
func (s *RedisServer) Resume() error { return s.signal(syscall.SIGCONT) }

func (s *RedisServer) signal(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return errors.New("redis-server is not running")
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("cannot send %v to redis-server: %w", sig, err)
	}
	return nil
}
