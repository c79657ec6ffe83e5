package ftpc_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"ftpc.dev/ftpc"
)

var bg = context.Background()

func TestVersion(t *testing.T) {
	if ftpc.Version() != ftpc.HeaderVersion() {
		t.Fatalf("library %s, header %s", ftpc.Version(), ftpc.HeaderVersion())
	}
}

func TestRoundTrip(t *testing.T) {
	eachServer(t, func(t *testing.T, s *server) {
		c := dial(t, s)
		dir := remoteDir(t, c)
		data := randomBytes(t, 1<<20+123)
		var lastDone, lastTotal int64
		n, err := c.Stor(bg, dir+"/data.bin", bytes.NewReader(data), ftpc.OnProgress(func(done, total int64) error {
			lastDone, lastTotal = done, total
			return nil
		}))
		if err != nil || n != int64(len(data)) {
			t.Fatalf("stor: %d %v", n, err)
		}
		if lastDone != int64(len(data)) || lastTotal != int64(len(data)) {
			t.Fatalf("upload progress ended at %d of %d", lastDone, lastTotal)
		}
		size, err := c.FileSize(bg, dir+"/data.bin")
		if err != nil || size != int64(len(data)) {
			t.Fatalf("size: %d %v", size, err)
		}
		var got bytes.Buffer
		lastTotal = 0
		n, err = c.Retr(bg, dir+"/data.bin", &got, ftpc.OnProgress(func(done, total int64) error {
			lastTotal = total
			return nil
		}))
		if err != nil || n != int64(len(data)) || !bytes.Equal(got.Bytes(), data) {
			t.Fatalf("retr: %d %v (equal %v)", n, err, bytes.Equal(got.Bytes(), data))
		}
		if lastTotal != int64(len(data)) && lastTotal != -1 {
			t.Fatalf("download total %d", lastTotal)
		}
		// Resume a download from an offset: only the tail arrives.
		got.Reset()
		if _, err := c.Retr(bg, dir+"/data.bin", &got, ftpc.AtOffset(1000)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), data[1000:]) {
			t.Fatalf("retr from offset: %d bytes", got.Len())
		}
		// Resume an upload: REST + STOR with the rest of the data.
		if _, err := c.Stor(bg, dir+"/resumed.bin", bytes.NewReader(data[:5000])); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Stor(bg, dir+"/resumed.bin", bytes.NewReader(data[5000:]), ftpc.AtOffset(5000)); err != nil {
			t.Fatal(err)
		}
		got.Reset()
		if _, err := c.Retr(bg, dir+"/resumed.bin", &got); err != nil || !bytes.Equal(got.Bytes(), data) {
			t.Fatalf("resumed upload: %v, %d bytes", err, got.Len())
		}
		// Append.
		if _, err := c.Stor(bg, dir+"/text.txt", strings.NewReader("abc")); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Append(bg, dir+"/text.txt", strings.NewReader("def")); err != nil {
			t.Fatal(err)
		}
		got.Reset()
		if _, err := c.Retr(bg, dir+"/text.txt", &got); err != nil || got.String() != "abcdef" {
			t.Fatalf("append: %v %q", err, got.String())
		}
	})
}

func TestDataConnectionModes(t *testing.T) {
	modes := map[string]ftpc.Option{
		"active":      ftpc.WithActive(ftpc.ActiveMode{}),
		"active-eprt": ftpc.WithActive(ftpc.ActiveMode{EPRT: true}),
		"pasv":        ftpc.WithPassive(ftpc.PassivePASV),
		"epsv":        ftpc.WithPassive(ftpc.PassiveEPSV),
	}
	eachServer(t, func(t *testing.T, s *server) {
		dir := remoteDir(t, dial(t, s))
		for name, opt := range modes {
			c := dial(t, s, opt)
			data := randomBytes(t, 300000)
			if _, err := c.Stor(bg, dir+"/"+name+".bin", bytes.NewReader(data)); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var got bytes.Buffer
			if _, err := c.Retr(bg, dir+"/"+name+".bin", &got); err != nil || !bytes.Equal(got.Bytes(), data) {
				t.Fatalf("%s retr: %v", name, err)
			}
		}
	})
}

func TestLines(t *testing.T) {
	eachServer(t, func(t *testing.T, s *server) {
		c := dial(t, s)
		dir := remoteDir(t, c)
		if err := c.StorLines(bg, dir+"/lines.txt", strings.NewReader("one\ntwo\nthree\n")); err != nil {
			t.Fatal(err)
		}
		var lines []string
		if err := c.RetrLines(bg, "RETR "+dir+"/lines.txt", func(l string) error {
			lines = append(lines, l)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if strings.Join(lines, ",") != "one,two,three" {
			t.Fatalf("lines %q", lines)
		}
		// The server stored the text with its own line ends: LF on these Unix servers.
		var raw bytes.Buffer
		if _, err := c.Retr(bg, dir+"/lines.txt", &raw); err != nil || raw.String() != "one\ntwo\nthree\n" {
			t.Fatalf("stored %q %v", raw.String(), err)
		}
	})
}

func TestCommands(t *testing.T) {
	eachServer(t, func(t *testing.T, s *server) {
		c := dial(t, s)
		if !strings.Contains(c.Welcome(), "") || c.IsTLS() != s.tls {
			t.Fatalf("welcome %q, tls %v", c.Welcome(), c.IsTLS())
		}
		dir := remoteDir(t, c)
		if _, err := c.MakeDir(bg, dir+"/sub"); err != nil {
			t.Fatal(err)
		}
		if err := c.ChangeDir(bg, dir+"/sub"); err != nil {
			t.Fatal(err)
		}
		pwd, err := c.CurrentDir(bg)
		if err != nil || pwd != dir+"/sub" {
			t.Fatalf("pwd %q %v", pwd, err)
		}
		if err := c.ChangeDirToParent(bg); err != nil {
			t.Fatal(err)
		}
		if pwd, _ := c.CurrentDir(bg); pwd != dir {
			t.Fatalf("after CDUP: %q", pwd)
		}
		if _, err := c.Stor(bg, "x.txt", strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
		if err := c.Rename(bg, "x.txt", "y.txt"); err != nil {
			t.Fatal(err)
		}
		when := time.Date(2020, 5, 17, 10, 20, 30, 0, time.UTC)
		if ok, _ := c.HasFeature(bg, "MFMT"); ok {
			if err := c.SetModTime(bg, "y.txt", when); err != nil {
				t.Fatal(err)
			}
			if mt, err := c.ModTime(bg, "y.txt"); err != nil || !mt.Equal(when) {
				t.Fatalf("mdtm %v %v", mt, err)
			}
		} else if _, err := c.ModTime(bg, "y.txt"); err != nil {
			t.Fatal(err)
		}
		names, err := c.NameList(bg, "")
		sort.Strings(names)
		if err != nil || len(names) != 2 || !strings.HasSuffix(names[0], "sub") || !strings.HasSuffix(names[1], "y.txt") {
			t.Fatalf("nlst %q %v", names, err)
		}
		lines, err := c.ListLines(bg, "")
		if err != nil || len(lines) < 2 {
			t.Fatalf("list lines %q %v", lines, err)
		}
		if err := c.Delete(bg, "y.txt"); err != nil {
			t.Fatal(err)
		}
		if err := c.RemoveDir(bg, "sub"); err != nil {
			t.Fatal(err)
		}
		if err := c.NoOp(bg); err != nil {
			t.Fatal(err)
		}
		r, err := c.Quote(bg, "SYST")
		if err != nil || r.Code != 215 || r.Err() != nil {
			t.Fatalf("SYST: %+v %v", r, err)
		}
		r, err = c.Quote(bg, "XYZZY")
		if err != nil || r.Code < 500 || !errors.Is(r.Err(), ftpc.ErrPermanent) {
			t.Fatalf("XYZZY: %+v %v", r, err)
		}
		if code, _ := c.LastReply(); code != r.Code {
			t.Fatalf("last reply %d", code)
		}
		if ok, err := c.HasFeature(bg, "SIZE"); err != nil || !ok {
			t.Fatalf("FEAT SIZE: %v %v", ok, err)
		}
		if err := c.Quit(bg); err != nil {
			t.Fatalf("quit: %v", err)
		}
		if err := c.NoOp(bg); !errors.Is(err, ftpc.ErrInvalidState) {
			t.Fatalf("after quit: %v", err)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("close after quit: %v", err)
		}
	})
}

func TestListing(t *testing.T) {
	eachServer(t, func(t *testing.T, s *server) {
		c := dial(t, s)
		dir := remoteDir(t, c)
		if _, err := c.Stor(bg, dir+"/ten.bin", bytes.NewReader(make([]byte, 10))); err != nil {
			t.Fatal(err)
		}
		if err := c.EnsureDirectory(bg, dir+"/d"); err != nil {
			t.Fatal(err)
		}
		check := func(how string, entries []ftpc.Entry) {
			t.Helper()
			byName := map[string]ftpc.Entry{}
			for _, e := range entries {
				if e.Type == ftpc.TypeCurrentDir || e.Type == ftpc.TypeParentDir {
					continue
				}
				byName[e.Name] = e
			}
			f, d := byName["ten.bin"], byName["d"]
			if len(byName) != 2 || f.Type != ftpc.TypeFile || f.Size != 10 || !d.IsDir() || f.ModTime.IsZero() {
				t.Fatalf("%s: %+v", how, entries)
			}
		}
		entries, err := c.List(bg, dir)
		if err != nil {
			t.Fatal(err)
		}
		check("List", entries)
		entries, err = c.ListParsed(bg, dir)
		if err != nil {
			t.Fatal(err)
		}
		check("LIST", entries)
		if entries[0].Facts["unix.mode"] == "" {
			t.Fatalf("LIST facts: %v", entries[0].Facts)
		}
		entries, err = c.MLSD(bg, dir)
		if !s.hasMLSD() {
			var e *ftpc.Error
			if !errors.As(err, &e) || e.Class != ftpc.ClassPermanent || e.ReplyCode < 500 {
				t.Fatalf("MLSD on %s: %v", s.name, err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		check("MLSD", entries)
		for _, e := range entries {
			if e.Name == "ten.bin" && e.Facts["perm"] == "" {
				t.Fatalf("MLSD facts: %v", e.Facts)
			}
		}
		e, err := c.Stat(bg, dir+"/ten.bin")
		if err != nil || e.Size != 10 || e.Type != ftpc.TypeFile {
			t.Fatalf("MLST: %+v %v", e, err)
		}
		// A listing left open blocks the connection; Close frees it.
		it, err := c.OpenListing(bg, ftpc.ListMLSD, dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.NoOp(bg); !errors.Is(err, ftpc.ErrInvalidState) {
			t.Fatalf("NOOP during a listing: %v", err)
		}
		if !it.Next() {
			t.Fatal(it.Err())
		}
		it.Close()
		if err := c.NoOp(bg); err != nil {
			t.Fatal(err)
		}
	})
}

func TestErrors(t *testing.T) {
	eachServer(t, func(t *testing.T, s *server) {
		c := dial(t, s)
		_, err := c.Retr(bg, "/no/such/file.bin", io.Discard)
		var e *ftpc.Error
		if !errors.As(err, &e) || !errors.Is(err, ftpc.ErrPermanent) || e.ReplyCode != 550 ||
			!strings.Contains(e.Message, "550") || errors.Is(err, ftpc.ErrTemporary) {
			t.Fatalf("missing file: %#v", err)
		}
		if _, err := c.FileSize(bg, "a\r\nDELE b"); !errors.Is(err, ftpc.ErrInvalidArgument) {
			t.Fatalf("CR/LF: %v", err)
		}
		// Wrong password: 530, and the password is in no message.
		c2, err := ftpc.Dial(bg, s.addr, s.options()...)
		if err != nil {
			t.Fatal(err)
		}
		defer c2.Close()
		err = c2.Login(bg, testUser, "wrong-secret-pw")
		if !errors.As(err, &e) || e.Class != ftpc.ClassPermanent || e.ReplyCode != 530 ||
			strings.Contains(err.Error(), "wrong-secret-pw") {
			t.Fatalf("bad login: %v", err)
		}
		// Connection refused.
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := l.Addr().String()
		l.Close()
		if _, err := ftpc.Dial(bg, addr, ftpc.WithTimeout(5*time.Second)); !errors.Is(err, ftpc.ErrIO) {
			t.Fatalf("refused: %v", err)
		}
	})
}

var errStop = errors.New("stop here")

func TestAbortFromCallbacks(t *testing.T) {
	eachServer(t, func(t *testing.T, s *server) {
		c := dial(t, s)
		dir := remoteDir(t, c)
		data := randomBytes(t, 4<<20)
		if _, err := c.Stor(bg, dir+"/big.bin", bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		// A writer that fails stops the download.
		w := &failingWriter{after: 100000}
		_, err := c.Retr(bg, dir+"/big.bin", w)
		if !errors.Is(err, ftpc.ErrAborted) || !errors.Is(err, errStop) {
			t.Fatalf("writer error: %v", err)
		}
		if w.n >= int64(len(data)) {
			t.Fatal("the whole file arrived")
		}
		// A progress callback that returns an error stops the upload; no short file is taken
		// for complete.
		_, err = c.Stor(bg, dir+"/partial.bin", bytes.NewReader(data), ftpc.OnProgress(func(done, total int64) error {
			if done > 200000 {
				return errStop
			}
			return nil
		}))
		if !errors.Is(err, ftpc.ErrAborted) || !errors.Is(err, errStop) {
			t.Fatalf("progress error: %v", err)
		}
		// A reader that fails stops the upload.
		_, err = c.Stor(bg, dir+"/partial2.bin", io.MultiReader(bytes.NewReader(data[:70000]), errReader{}))
		if !errors.Is(err, ftpc.ErrAborted) || !errors.Is(err, errStop) {
			t.Fatalf("reader error: %v", err)
		}
		// A panic in a callback is re-raised in the caller, and the connection survives.
		func() {
			defer func() {
				if p := recover(); p != "boom" {
					t.Fatalf("recovered %v", p)
				}
			}()
			c.Retr(bg, dir+"/big.bin", writerFunc(func(p []byte) (int, error) { panic("boom") }))
			t.Fatal("no panic")
		}()
		// Calling the connection from its own callback fails with ErrBusy (no deadlock);
		// getters answer.
		var inner error
		var code int
		c.Retr(bg, dir+"/big.bin", writerFunc(func(p []byte) (int, error) {
			inner = c.NoOp(bg)
			code, _ = c.LastReply()
			return 0, errStop
		}))
		if !errors.Is(inner, ftpc.ErrBusy) || code == 0 {
			t.Fatalf("reentrant call: %v, last reply %d", inner, code)
		}
		// Still usable.
		var got bytes.Buffer
		if _, err := c.Retr(bg, dir+"/big.bin", &got); err != nil || !bytes.Equal(got.Bytes(), data) {
			t.Fatalf("after aborts: %v", err)
		}
	})
}

type failingWriter struct{ n, after int64 }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n >= w.after {
		return 0, errStop
	}
	w.n += int64(len(p))
	return len(p), nil
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errStop }

func TestDataStream(t *testing.T) {
	eachServer(t, func(t *testing.T, s *server) {
		c := dial(t, s)
		dir := remoteDir(t, c)
		data := randomBytes(t, 3<<20)
		w, err := c.OpenStor(bg, dir+"/stream.bin", 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.NoOp(bg); !errors.Is(err, ftpc.ErrInvalidState) {
			t.Fatalf("NOOP during a stream: %v", err)
		}
		if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := c.OpenRetr(bg, dir+"/stream.bin", 0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read: %v, %d bytes", err, len(got))
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		// Stop a download early on purpose.
		r, err = c.OpenRetr(bg, dir+"/stream.bin", 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		// pyftpdlib announces no size; vsftpd the whole file's, even after REST.
		if n, ok := r.ExpectedSize(); ok && n != 3<<20 {
			t.Fatalf("expected size %d", n)
		}
		buf := make([]byte, 1000)
		if _, err := io.ReadFull(r, buf); err != nil || !bytes.Equal(buf, data[1<<20:1<<20+1000]) {
			t.Fatalf("read at offset: %v", err)
		}
		if err := r.Abort(); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Read(buf); !errors.Is(err, ftpc.ErrInvalidState) {
			t.Fatalf("read after abort: %v", err)
		}
		if err := c.NoOp(bg); err != nil {
			t.Fatalf("after abort: %v", err)
		}
	})
}

func TestFiles(t *testing.T) {
	eachServer(t, func(t *testing.T, s *server) {
		c := dial(t, s)
		dir := remoteDir(t, c)
		local := t.TempDir()
		data := randomBytes(t, 2<<20+7)
		src := filepath.Join(local, "src.bin")
		os.WriteFile(src, data, 0o644)
		var calls int
		if err := c.UploadFile(bg, src, dir+"/up.bin", ftpc.TemporaryName(), ftpc.OnProgress(func(d, t int64) error {
			calls++
			return nil
		})); err != nil {
			t.Fatal(err)
		}
		if calls == 0 {
			t.Fatal("no progress")
		}
		// DownloadFile resumes a partial file left by an earlier call.
		dst := filepath.Join(local, "dst.bin")
		os.WriteFile(filepath.Join(local, ".dst.bin.ftpc-part"), data[:1<<20], 0o644)
		first := int64(-1)
		if err := c.DownloadFile(bg, dir+"/up.bin", dst, ftpc.Resume(), ftpc.OnProgress(func(d, t int64) error {
			if first < 0 {
				first = d
			}
			return nil
		})); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
			t.Fatal("downloaded file differs")
		}
		if first < 1<<20 {
			t.Fatalf("download did not resume: first progress at %d", first)
		}
		// RetrFile with Resume continues a local file.
		part := filepath.Join(local, "part.bin")
		os.WriteFile(part, data[:12345], 0o644)
		if err := c.RetrFile(bg, dir+"/up.bin", part, ftpc.Resume()); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(part); !bytes.Equal(got, data) {
			t.Fatal("resumed RetrFile differs")
		}
		if err := c.StorFile(bg, part, dir+"/again.bin"); err != nil {
			t.Fatal(err)
		}
		// Through open files.
		f, _ := os.Create(filepath.Join(local, "fd.bin"))
		defer f.Close()
		if err := c.DownloadTo(bg, dir+"/again.bin", f); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(f.Name()); !bytes.Equal(got, data) {
			t.Fatal("DownloadTo differs")
		}
		if err := c.UploadFrom(bg, f, dir+"/fd.bin"); err != nil {
			t.Fatal(err)
		}
		if n, err := c.FileSize(bg, dir+"/fd.bin"); err != nil || n != int64(len(data)) {
			t.Fatalf("UploadFrom: %d %v", n, err)
		}
		err := c.DownloadFile(bg, dir+"/missing.bin", filepath.Join(local, "m.bin"))
		if !errors.Is(err, ftpc.ErrPermanent) {
			t.Fatalf("missing: %v", err)
		}
	})
}

func TestSyncMirror(t *testing.T) {
	eachServer(t, func(t *testing.T, s *server) {
		c := dial(t, s)
		dir := remoteDir(t, c)
		local := t.TempDir()
		files := map[string]string{"index.html": "<h1>hi</h1>", "css/main.css": "h1 {}", "a/b/c.txt": "deep"}
		for name, body := range files {
			p := filepath.Join(local, "site", name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte(body), 0o644)
		}
		count := func(events []ftpc.SyncEvent, a ftpc.SyncAction) int {
			n := 0
			for _, e := range events {
				if e.Action == a {
					n++
				}
			}
			return n
		}
		var events []ftpc.SyncEvent
		record := ftpc.OnSyncEvent(func(e ftpc.SyncEvent) error { events = append(events, e); return nil })
		if err := c.EnsureDirectory(bg, dir+"/www"); err != nil {
			t.Fatal(err)
		}
		if err := c.Sync(bg, filepath.Join(local, "site"), dir+"/www", record); err != nil {
			t.Fatal(err)
		}
		if count(events, ftpc.SyncUploaded) != 3 || count(events, ftpc.SyncCreatedDirectory) < 3 {
			t.Fatalf("first sync: %+v", events)
		}
		events = nil
		if err := c.Sync(bg, filepath.Join(local, "site"), dir+"/www", record, ftpc.DeleteExtra()); err != nil {
			t.Fatal(err)
		}
		if count(events, ftpc.SyncUploaded) != 0 || count(events, ftpc.SyncSkipped) != 3 {
			t.Fatalf("second sync: %+v", events)
		}
		events = nil
		out := filepath.Join(local, "mirror")
		os.Mkdir(out, 0o755)
		if err := c.Mirror(bg, dir+"/www", out, record); err != nil {
			t.Fatal(err)
		}
		if count(events, ftpc.SyncDownloaded) != 3 {
			t.Fatalf("mirror: %+v", events)
		}
		for name, body := range files {
			if got, err := os.ReadFile(filepath.Join(out, name)); err != nil || string(got) != body {
				t.Fatalf("mirrored %s: %q %v", name, got, err)
			}
		}
		// A sync callback that returns an error stops the sync.
		err := c.Mirror(bg, dir+"/www", t.TempDir(), ftpc.OnSyncEvent(func(ftpc.SyncEvent) error { return errStop }))
		if !errors.Is(err, ftpc.ErrAborted) || !errors.Is(err, errStop) {
			t.Fatalf("stopped mirror: %v", err)
		}
	})
}

func TestRetry(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	// Three attempts, 100 ms then 200 ms apart: a refused connect fails after 300 ms or more.
	policy := ftpc.RetryPolicy{MaxAttempts: 3, InitialDelay: 100 * time.Millisecond, Multiplier: 2,
		MaxDelay: time.Second}
	start := time.Now()
	_, err := ftpc.Dial(bg, addr, ftpc.WithRetry(policy))
	if !errors.Is(err, ftpc.ErrIO) || time.Since(start) < 300*time.Millisecond {
		t.Fatalf("retried connect: %v after %v", err, time.Since(start))
	}
	start = time.Now()
	_, err = ftpc.Dial(bg, addr)
	if !errors.Is(err, ftpc.ErrIO) || time.Since(start) > 250*time.Millisecond {
		t.Fatalf("connect without retries: %v after %v", err, time.Since(start))
	}
	// A deadline stops the waits between attempts.
	ctx, cancel := context.WithTimeout(bg, 150*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = ftpc.Dial(ctx, addr, ftpc.WithRetry(ftpc.RetryPolicy{MaxAttempts: 10, InitialDelay: time.Second,
		Multiplier: 1, MaxDelay: time.Second}))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 900*time.Millisecond {
		t.Fatalf("deadline during retries: %v after %v", err, time.Since(start))
	}
	// The policy and callback of a connection.
	c := dial(t, servers[0], ftpc.WithRetryCallback(func(ftpc.RetryEvent) bool { return true }))
	if err := c.SetRetryPolicy(ftpc.DefaultRetryPolicy); err != nil {
		t.Fatal(err)
	}
	if err := c.OnRetry(func(ftpc.RetryEvent) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if err := c.OnRetry(nil); err != nil {
		t.Fatal(err)
	}
	if err := c.SetRetryPolicy(ftpc.RetryPolicy{MaxAttempts: 0}); !errors.Is(err, ftpc.ErrInvalidArgument) {
		t.Fatalf("0 attempts: %v", err)
	}
}

func TestTLSVerification(t *testing.T) {
	for _, s := range servers {
		if !s.tls {
			continue
		}
		s := s
		t.Run(s.name, func(t *testing.T) {
			c := dial(t, s)
			dir := remoteDir(t, c)
			if _, err := c.Stor(bg, dir+"/t.bin", strings.NewReader("secret data")); err != nil {
				t.Fatal(err)
			}
			if resumed, err := c.LastDataTLSResumed(); err != nil || (s.kind == "vsftpd" && !resumed) {
				t.Fatalf("session reuse: %v %v", resumed, err)
			}
			// Another CA: the server's certificate is refused.
			_, err := ftpc.Dial(bg, s.addr, ftpc.WithTLS(ftpc.TLSAll), ftpc.WithoutSystemRoots(),
				ftpc.WithCAFile(filepath.Join(certs, "selfsigned.pem")))
			if !errors.Is(err, ftpc.ErrTLS) {
				t.Fatalf("wrong CA: %v", err)
			}
			// The right CA but another name.
			_, err = ftpc.Dial(bg, s.addr, ftpc.WithTLS(ftpc.TLSAll), ftpc.WithoutSystemRoots(),
				ftpc.WithCAFile(filepath.Join(certs, "ca.pem")), ftpc.WithServerName("wrong.example"))
			if !errors.Is(err, ftpc.ErrTLS) {
				t.Fatalf("wrong name: %v", err)
			}
			// The URL form, password kept out of the URL.
			u := fmt.Sprintf("ftpes://%s@%s%s/", testUser, s.addr, dir)
			c2, path, err := ftpc.DialURL(bg, u, ftpc.WithPassword(testPass),
				ftpc.WithCAFile(filepath.Join(certs, "ca.pem")), ftpc.WithoutSystemRoots())
			if err != nil {
				t.Fatal(err)
			}
			defer c2.Close()
			var got bytes.Buffer
			if _, err := c2.Retr(bg, path+"t.bin", &got); err != nil || got.String() != "secret data" || !c2.IsTLS() {
				t.Fatalf("URL %q: %v %q", path, err, got.String())
			}
		})
	}
}

func TestDialURL(t *testing.T) {
	for _, s := range servers {
		if s.tls {
			continue
		}
		s := s
		t.Run(s.name, func(t *testing.T) {
			c, path, err := ftpc.DialURL(bg, fmt.Sprintf("ftp://%s:%s@%s/some%%20dir", testUser, testPass, s.addr))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if path != "some dir" {
				t.Fatalf("path %q", path)
			}
			if err := c.NoOp(bg); err != nil {
				t.Fatal(err)
			}
			if _, _, err := ftpc.DialURL(bg, "http://"+s.addr+"/"); !errors.Is(err, ftpc.ErrInvalidArgument) {
				t.Fatalf("http URL: %v", err)
			}
		})
	}
}

// Eight goroutines transfer at once, each on its own connection; then eight share one.
func TestConcurrent(t *testing.T) {
	eachServer(t, func(t *testing.T, s *server) {
		setup := dial(t, s)
		dir := remoteDir(t, setup)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				c, err := ftpc.Dial(bg, s.addr, s.options()...)
				if err != nil {
					errs <- err
					return
				}
				defer c.Close()
				if err := c.Login(bg, testUser, testPass); err != nil {
					errs <- err
					return
				}
				data := randomBytes(t, 256<<10+i)
				name := fmt.Sprintf("%s/g%d.bin", dir, i)
				if _, err := c.Stor(bg, name, bytes.NewReader(data)); err != nil {
					errs <- err
					return
				}
				var got bytes.Buffer
				if _, err := c.Retr(bg, name, &got); err != nil || !bytes.Equal(got.Bytes(), data) {
					errs <- fmt.Errorf("goroutine %d: %v (bytes equal %v)", i, err, bytes.Equal(got.Bytes(), data))
				}
			}(i)
		}
		wg.Wait()
		// One connection shared by eight goroutines: calls run one after another.
		shared := randomBytes(t, 200<<10)
		if _, err := setup.Stor(bg, dir+"/shared.bin", bytes.NewReader(shared)); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				for j := 0; j < 3; j++ {
					var got bytes.Buffer
					if _, err := setup.Retr(bg, dir+"/shared.bin", &got); err != nil || !bytes.Equal(got.Bytes(), shared) {
						errs <- fmt.Errorf("shared %d: %v", i, err)
						return
					}
					if n, err := setup.FileSize(bg, dir+"/shared.bin"); err != nil || n != int64(len(shared)) {
						errs <- fmt.Errorf("shared size %d: %d %v", i, n, err)
						return
					}
				}
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

// slowWriter takes 20 ms per block.
type slowWriter struct{ n int64 }

func (w *slowWriter) Write(p []byte) (int, error) {
	time.Sleep(20 * time.Millisecond)
	w.n += int64(len(p))
	return len(p), nil
}

type slowReader struct{ left int }

func (r *slowReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	time.Sleep(20 * time.Millisecond)
	n := len(p)
	if n > 16384 {
		n = 16384
	}
	if n > r.left {
		n = r.left
	}
	r.left -= n
	return n, nil
}

func TestCancel(t *testing.T) {
	eachServer(t, func(t *testing.T, s *server) {
		c := dial(t, s, ftpc.WithBlockSize(16384))
		dir := remoteDir(t, c)
		data := randomBytes(t, 8<<20)
		if _, err := c.Stor(bg, dir+"/big.bin", bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		// A deadline stops a slow download.
		ctx, cancel := context.WithTimeout(bg, 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		w := &slowWriter{}
		_, err := c.Retr(ctx, dir+"/big.bin", w)
		t.Logf("deadline: %v", err)
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ftpc.ErrTimeout) || time.Since(start) > 5*time.Second {
			t.Fatalf("deadline: %v after %v", err, time.Since(start))
		}
		if w.n >= int64(len(data)) {
			t.Fatal("the whole file arrived")
		}
		// Cancelling stops a slow upload.
		ctx, cancel = context.WithCancel(bg)
		time.AfterFunc(200*time.Millisecond, cancel)
		_, err = c.Stor(ctx, dir+"/slow.bin", &slowReader{left: 8 << 20})
		if !errors.Is(err, context.Canceled) || !errors.Is(err, ftpc.ErrAborted) {
			t.Fatalf("cancel: %v", err)
		}
		// A context that is done already: nothing is sent.
		if err := c.NoOp(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("done context: %v", err)
		}
		// The connection is usable afterwards.
		var got bytes.Buffer
		if _, err := c.Retr(bg, dir+"/big.bin", &got); err != nil || !bytes.Equal(got.Bytes(), data) {
			t.Fatalf("after cancel: %v", err)
		}
		// A raw stream honours its context too.
		ctx, cancel = context.WithCancel(bg)
		r, err := c.OpenRetr(ctx, dir+"/big.bin", 0)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1000)
		if _, err := io.ReadFull(r, buf); err != nil {
			t.Fatal(err)
		}
		cancel()
		if _, err := r.Read(buf); !errors.Is(err, context.Canceled) {
			t.Fatalf("stream read after cancel: %v", err)
		}
		r.Abort()
		if err := c.NoOp(bg); err != nil {
			t.Fatalf("after stream cancel: %v", err)
		}
	})
}

// A server that accepts and never answers: only ftp_cancel can stop the wait for its welcome.
func TestCancelBlockedOnServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, conn)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(bg, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = ftpc.Dial(ctx, l.Addr().String(), ftpc.WithReplyTimeout(60*time.Second))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("silent server: %v after %v", err, time.Since(start))
	}
}

// Close from another goroutine stops a transfer in progress.
func TestCloseDuringTransfer(t *testing.T) {
	s := servers[0]
	c := dial(t, s, ftpc.WithBlockSize(16384))
	dir := remoteDir(t, c)
	if _, err := c.Stor(bg, dir+"/big.bin", bytes.NewReader(make([]byte, 4<<20))); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		_, err := c.Retr(bg, dir+"/big.bin", &slowWriter{})
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ftpc.ErrAborted) {
			t.Fatalf("transfer ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("transfer still running")
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("close took %v", time.Since(start))
	}
	if err := c.NoOp(bg); !errors.Is(err, ftpc.ErrInvalidState) {
		t.Fatalf("after close: %v", err)
	}
}

// A Conn dropped without Close is freed by its finalizer.
func TestFinalizer(t *testing.T) {
	before := ftpc.FinalizedConns()
	func() {
		c, err := ftpc.Dial(bg, servers[0].addr, servers[0].options()...)
		if err != nil {
			t.Fatal(err)
		}
		c.Login(bg, testUser, testPass)
		// A stream left open too: its finalizer aborts it.
		if _, err := c.OpenStor(bg, "/finalizer.bin", 0); err != nil {
			t.Fatal(err)
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for ftpc.FinalizedConns() == before {
		if time.Now().After(deadline) {
			t.Fatal("the connection was never finalized")
		}
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
}

// The server goes away in the middle of a DownloadFile: the retry callback is told of each
// retry and can veto the next one.
func TestRetryCallback(t *testing.T) {
	base := t.TempDir()
	os.Chmod(base, 0o755)
	s, err := startServer(base, "pyftpdlib", false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.stop()
	var events []ftpc.RetryEvent
	c := dial(t, s, ftpc.WithRetryCallback(func(e ftpc.RetryEvent) bool {
		events = append(events, e)
		return e.Attempt < 2
	}))
	if err := c.SetRetryPolicy(ftpc.RetryPolicy{MaxAttempts: 5, InitialDelay: 10 * time.Millisecond,
		Multiplier: 1, MaxDelay: 10 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stor(bg, "/big.bin", bytes.NewReader(make([]byte, 8<<20))); err != nil {
		t.Fatal(err)
	}
	stopped := false
	err = c.DownloadFile(bg, "/big.bin", filepath.Join(t.TempDir(), "big.bin"), ftpc.OnProgress(func(done, total int64) error {
		if !stopped {
			stopped = true
			s.stop()
		}
		return nil
	}))
	if err == nil || len(events) != 2 || events[0].Attempt != 1 || events[1].Attempt != 2 || events[0].Err == nil {
		t.Fatalf("download from a stopped server: %v, retry events %+v", err, events)
	}
	t.Logf("%v; first retry after: %v", err, events[0].Err)
}

// Implicit FTPS (TLS from the first byte), by option and by ftps:// URL.
func TestImplicitTLS(t *testing.T) {
	base := t.TempDir()
	os.Chmod(base, 0o755)
	s, err := startServerMode(base, "pyftpdlib", "implicit")
	if err != nil {
		t.Fatal(err)
	}
	defer s.stop()
	ca := ftpc.WithCAFile(filepath.Join(certs, "ca.pem"))
	c, err := ftpc.Dial(bg, s.addr, ftpc.WithTLS(ftpc.TLSImplicit), ca, ftpc.WithoutSystemRoots())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(bg, testUser, testPass); err != nil {
		t.Fatal(err)
	}
	data := randomBytes(t, 100000)
	if _, err := c.Stor(bg, "/implicit.bin", bytes.NewReader(data)); err != nil || !c.IsTLS() {
		t.Fatalf("stor: %v", err)
	}
	c2, path, err := ftpc.DialURL(bg, fmt.Sprintf("ftps://%s:%s@%s/implicit.bin", testUser, testPass, s.addr), ca)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	var got bytes.Buffer
	if _, err := c2.Retr(bg, path, &got); err != nil || !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("retr over ftps://: %v", err)
	}
	// Plain FTP to an implicit-TLS port waits for a greeting that never comes: the deadline
	// ends it.
	ctx, cancel := context.WithTimeout(bg, 500*time.Millisecond)
	defer cancel()
	if _, err := ftpc.Dial(ctx, s.addr); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("plain FTP to an implicit TLS port: %v", err)
	}
}
