package ftpc_test

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"ftpc.dev/ftpc"
)

// The example program, linked statically (-tags ftpc_static), downloads over verified TLS from
// each TLS server, and refuses a server its CA does not vouch for.
func TestExampleStatic(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "ftpget")
	build := exec.Command("go", "build", "-tags", "ftpc_static", "-o", bin, "./examples/ftpget")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags ftpc_static: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	libs, _ := f.ImportedLibraries()
	f.Close()
	for _, l := range libs {
		if strings.Contains(l, "ftpc") {
			t.Fatalf("statically linked binary still needs %s", l)
		}
	}
	for _, s := range servers {
		if !s.tls {
			continue
		}
		s := s
		t.Run(s.name, func(t *testing.T) {
			c := dial(t, s)
			dir := remoteDir(t, c)
			data := randomBytes(t, 1<<20)
			if _, err := c.Stor(context.Background(), dir+"/file.bin", bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
			work := t.TempDir()
			url := fmt.Sprintf("ftpes://%s@%s%s/file.bin", testUser, s.addr, dir)
			cmd := exec.Command(bin, url, "copy.bin")
			cmd.Dir = work
			cmd.Env = append(os.Environ(), "FTP_PASSWORD="+testPass, "FTPC_CA_FILE="+filepath.Join(certs, "ca.pem"))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("ftpget: %v\n%s", err, out)
			}
			if got, _ := os.ReadFile(filepath.Join(work, "copy.bin")); !bytes.Equal(got, data) {
				t.Fatal("downloaded bytes differ")
			}
			bad := exec.Command(bin, url, "bad.bin")
			bad.Dir = work
			bad.Env = append(os.Environ(), "FTP_PASSWORD="+testPass, "FTPC_CA_FILE="+filepath.Join(certs, "selfsigned.pem"))
			out, err := bad.CombinedOutput()
			if err == nil || !strings.Contains(string(out), "FTP_ERR_TLS") && !strings.Contains(strings.ToLower(string(out)), "certificate") {
				t.Fatalf("wrong CA accepted: %v\n%s", err, out)
			}
		})
	}
}

// Example shows a first verified TLS download into memory.
func Example() {
	ctx := context.Background()
	c, err := ftpc.Dial(ctx, "ftp.example.net:21", ftpc.WithTLS(ftpc.TLSAll))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	if err := c.Login(ctx, "user", "secret"); err != nil {
		fmt.Println(err)
		return
	}
	var buf bytes.Buffer
	if _, err := c.Retr(ctx, "/pub/readme.txt", &buf); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(buf.String())
}
