package ftpc_test

// The tests run against real servers that TestMain starts: pyftpdlib and vsftpd, each plain
// and with explicit TLS (certificates verified against the test CA). Set FTPC_TOP to the
// repository (default ../..); the servers come from scripts/servers (install.sh and
// make-certs.sh must have run). They exit when their stdin closes, so a killed test run takes
// them with it; TestMain also stops them by PID.

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"ftpc.dev/ftpc"
)

const (
	testUser = "ftpctest"
	testPass = "ftpc-test-pw"
)

type server struct {
	name string // "pyftpdlib", "vsftpd-tls", ...
	kind string // pyftpdlib or vsftpd
	tls  bool
	addr string
	root string // the server's root directory on this machine
	cmd  *exec.Cmd
	in   io.WriteCloser
}

func (s *server) hasMLSD() bool { return s.kind == "pyftpdlib" }

var (
	top     string
	certs   string
	servers []*server
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	top = os.Getenv("FTPC_TOP")
	if top == "" {
		top, _ = filepath.Abs("../..")
	}
	certs = filepath.Join(top, "target", "test-certs")
	base, err := os.MkdirTemp("", "ftpc-go-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(base)
	os.Chmod(base, 0o755)

	kinds := []string{"pyftpdlib"}
	if os.Geteuid() == 0 {
		kinds = append(kinds, "vsftpd")
	} else {
		fmt.Fprintln(os.Stderr, "not root: vsftpd is not started (it logs in a local user)")
	}
	type started struct {
		s   *server
		err error
	}
	ch := make(chan started)
	n := 0
	for _, kind := range kinds {
		for _, tls := range []bool{false, true} {
			n++
			go func(kind string, tls bool) {
				s, err := startServer(base, kind, tls)
				ch <- started{s, err}
			}(kind, tls)
		}
	}
	failed := false
	for i := 0; i < n; i++ {
		r := <-ch
		if r.err != nil {
			fmt.Fprintln(os.Stderr, "starting a server:", r.err)
			failed = true
			continue
		}
		servers = append(servers, r.s)
	}
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	if failed {
		return 1
	}
	sortServers(servers)
	return m.Run()
}

func sortServers(ss []*server) {
	for i := range ss {
		for j := i + 1; j < len(ss); j++ {
			if ss[j].name < ss[i].name {
				ss[i], ss[j] = ss[j], ss[i]
			}
		}
	}
}

func startServer(base, kind string, tls bool) (*server, error) {
	mode := "none"
	if tls {
		mode = "explicit"
	}
	return startServerMode(base, kind, mode)
}

// startServerMode starts a server with TLS mode none, explicit or implicit.
func startServerMode(base, kind, mode string) (*server, error) {
	tls := mode != "none"
	name := kind
	if tls {
		name += "-tls"
	}
	if mode == "implicit" {
		name += "-implicit"
	}
	dir := filepath.Join(base, name)
	root := filepath.Join(dir, "root")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	os.Chmod(dir, 0o755)
	os.Chmod(root, 0o777)
	args := []string{filepath.Join(top, "scripts", "servers", "ftpserver.py"), kind, "--root", root}
	if tls {
		args = append(args, "--tls", mode, "--cert", filepath.Join(certs, "server.pem"),
			"--key", filepath.Join(certs, "server.key"))
	}
	cmd := exec.Command(filepath.Join(top, "target", "ftp-venv", "bin", "python"), args...)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{name: name, kind: kind, tls: tls, root: root, cmd: cmd, in: in}
	line := make(chan string, 1)
	go func() {
		r := bufio.NewReader(out)
		l, _ := r.ReadString('\n')
		line <- strings.TrimSpace(l)
		io.Copy(io.Discard, r)
	}()
	select {
	case l := <-line:
		var port int
		if _, err := fmt.Sscanf(l, "READY %d", &port); err != nil {
			s.stop()
			log, _ := os.ReadFile(logf.Name())
			return nil, fmt.Errorf("%s: %q: %s", name, l, log)
		}
		s.addr = fmt.Sprintf("127.0.0.1:%d", port)
	case <-time.After(30 * time.Second):
		s.stop()
		return nil, fmt.Errorf("%s did not start", name)
	}
	return s, nil
}

func (s *server) stop() {
	s.in.Close()
	if s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			s.cmd.Process.Kill()
			<-done
		}
	}
}

// options are the dial options for s: explicit TLS on control and data, verified against the
// test CA only.
func (s *server) options(extra ...ftpc.Option) []ftpc.Option {
	opts := []ftpc.Option{ftpc.WithTimeout(20 * time.Second)}
	if s.tls {
		opts = append(opts, ftpc.WithTLS(ftpc.TLSAll), ftpc.WithCAFile(filepath.Join(certs, "ca.pem")),
			ftpc.WithoutSystemRoots())
	}
	return append(opts, extra...)
}

// dial connects and logs in to s; the connection is closed when the test ends.
func dial(t testing.TB, s *server, extra ...ftpc.Option) *ftpc.Conn {
	t.Helper()
	ctx := context.Background()
	c, err := ftpc.Dial(ctx, s.addr, s.options(extra...)...)
	if err != nil {
		t.Fatalf("dial %s: %v", s.name, err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(ctx, testUser, testPass); err != nil {
		t.Fatalf("login %s: %v", s.name, err)
	}
	return c
}

// eachServer runs f as a subtest per server, the servers in parallel.
func eachServer(t *testing.T, f func(t *testing.T, s *server)) {
	for _, s := range servers {
		s := s
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			f(t, s)
		})
	}
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// remoteDir makes a fresh directory for one test on the server and returns its path.
func remoteDir(t *testing.T, c *ftpc.Conn) string {
	t.Helper()
	dir := "/" + strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	if err := c.EnsureDirectory(context.Background(), dir); err != nil {
		t.Fatalf("ensure %s: %v", dir, err)
	}
	return dir
}
