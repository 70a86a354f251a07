package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Server is a dothi server process started for a benchmark.
type Server struct {
	URL string
	// Key is an integrator API key for all tenants, made for this server.
	Key string
	cmd *exec.Cmd
}

// StartServer creates an integrator API key in dir (`exe admin
// create-key`), runs `exe serve` on a free loopback port with data in dir
// and waits until it is ready.
func StartServer(ctx context.Context, exe, dir string, extra ...string) (*Server, error) {
	key, err := CreateKey(ctx, exe, dir, "--role", "integrator", "--tenant", "*", "--name", "bench")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	args := append([]string{"serve", "--addr", addr, "--data", dir, "--log-level", "warn"}, extra...)
	cmd := exec.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", exe, err)
	}
	s := &Server{URL: "http://" + addr, Key: key, cmd: cmd}
	if err := s.waitReady(ctx, 30*time.Second); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// CreateKey runs `exe admin create-key --data dir args...` and returns the
// key, which the command prints on its last line.
func CreateKey(ctx context.Context, exe, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, exe, append([]string{"admin", "create-key", "--data", dir}, args...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s admin create-key: %w", exe, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1]), nil
}

// PID is the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

func (s *Server) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		resp, err := http.Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("server at %s not ready after %s", s.URL, limit)
}

// Stop interrupts the server and waits for it to exit.
func (s *Server) Stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}
