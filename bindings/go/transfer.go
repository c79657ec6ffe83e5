package ftpc

// #include "glue.h"
import "C"

import (
	"context"
	"io"
	"os"
)

// ProgressFunc is told the bytes transferred so far and the total (-1 when unknown) after
// every block; for a resumed transfer both count from the start of the file. Returning an
// error stops the transfer: the call fails with an *Error of class ClassAborted that wraps
// it, and the connection stays usable. It runs on the goroutine that made the call; calling
// the Conn from it fails with ErrBusy.
type ProgressFunc func(transferred, total int64) error

// TransferOption tunes one transfer.
type TransferOption func(*xfer)

type xfer struct {
	offset   int64
	size     int64
	hasSize  bool
	progress ProgressFunc
	resume   bool
	tempName bool
}

// AtOffset starts the transfer at byte n of the remote file (REST): Retr writes the file from
// byte n on; Stor and Append read from the reader the data that belongs at byte n onwards.
func AtOffset(n int64) TransferOption { return func(x *xfer) { x.offset = n } }

// OnProgress reports progress to fn.
func OnProgress(fn ProgressFunc) TransferOption { return func(x *xfer) { x.progress = fn } }

// WithSize gives an upload's whole size (offset included), for progress and to check the
// reader: a reader that ends early fails the upload (ErrIO) instead of storing a short file.
// Without it, Stor takes it from a reader with a Len method (bytes.Reader, strings.Reader,
// bytes.Buffer) or a regular *os.File.
func WithSize(n int64) TransferOption { return func(x *xfer) { x.size, x.hasSize = n, true } }

// Resume continues a download from where an earlier one stopped (RetrFile: from the local
// file's length; DownloadFile: from the partial file it left).
func Resume() TransferOption { return func(x *xfer) { x.resume = true } }

// TemporaryName makes UploadFile upload to ".NAME.ftpc-part" and rename on success, so
// readers never see a partial file.
func TemporaryName() TransferOption { return func(x *xfer) { x.tempName = true } }

func transferOptions(opts []TransferOption) *xfer {
	x := &xfer{}
	for _, o := range opts {
		o(x)
	}
	return x
}

func b2i(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// Retr downloads path into w (RETR) and returns the bytes written. An error from w stops
// the transfer (ABOR; the connection stays usable) and is wrapped in the *Error returned.
func (c *Conn) Retr(ctx context.Context, path string, w io.Writer, opts ...TransferOption) (int64, error) {
	x := transferOptions(opts)
	cp, free := cstr(path)
	defer free()
	st := &callState{w: w, progress: x.progress}
	err := c.do(ctx, "RETR "+path, st, func(h *C.ftp_client, ud C.uintptr_t) C.ftp_result {
		return C.w_retr(h, cp, C.uint64_t(x.offset), b2i(x.progress != nil), ud)
	})
	return st.n, err
}

// Stor uploads what r supplies to path (STOR; after REST with AtOffset) and returns the bytes
// read from r. An error from r stops the transfer (ABOR, the data connection reset so the
// server cannot take it for the end of the file) and is wrapped in the *Error returned.
func (c *Conn) Stor(ctx context.Context, path string, r io.Reader, opts ...TransferOption) (int64, error) {
	return c.upload(ctx, "STOR", path, r, opts)
}

// Append appends what r supplies to path (APPE).
func (c *Conn) Append(ctx context.Context, path string, r io.Reader, opts ...TransferOption) (int64, error) {
	return c.upload(ctx, "APPE", path, r, opts)
}

func (c *Conn) upload(ctx context.Context, verb, path string, r io.Reader, opts []TransferOption) (int64, error) {
	x := transferOptions(opts)
	total := int64(-1)
	if x.hasSize {
		total = x.size
	} else if n, ok := readerSize(r); ok {
		total = x.offset + n
	}
	cp, free := cstr(path)
	defer free()
	st := &callState{r: r, progress: x.progress}
	err := c.do(ctx, verb+" "+path, st, func(h *C.ftp_client, ud C.uintptr_t) C.ftp_result {
		if verb == "APPE" {
			return C.w_appe(h, cp, C.uint64_t(x.offset), C.int64_t(total), b2i(x.progress != nil), ud)
		}
		return C.w_stor(h, cp, C.uint64_t(x.offset), C.int64_t(total), b2i(x.progress != nil), ud)
	})
	return st.n, err
}

// readerSize is the number of bytes r will supply, when r can tell.
func readerSize(r io.Reader) (int64, bool) {
	switch v := r.(type) {
	case interface{ Len() int }:
		return int64(v.Len()), true
	case *os.File:
		fi, err := v.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return 0, false
		}
		pos, err := v.Seek(0, io.SeekCurrent)
		if err != nil || pos > fi.Size() {
			return 0, false
		}
		return fi.Size() - pos, true
	}
	return 0, false
}

// RetrLines runs command (RETR path, LIST, NLST, ...) in TYPE A and hands each line, without
// its line ending, to fn (ftplib's retrlines). Lines are untrusted server data.
func (c *Conn) RetrLines(ctx context.Context, command string, fn func(line string) error) error {
	cc, free := cstr(command)
	defer free()
	st := &callState{line: fn}
	return c.do(ctx, command, st, func(h *C.ftp_client, ud C.uintptr_t) C.ftp_result {
		return C.w_retr_lines(h, cc, ud)
	})
}

// StorLines stores the text r supplies in TYPE A, sending every line end as CRLF
// (ftplib's storlines).
func (c *Conn) StorLines(ctx context.Context, path string, r io.Reader) error {
	cp, free := cstr(path)
	defer free()
	st := &callState{r: r}
	return c.do(ctx, "STOR "+path, st, func(h *C.ftp_client, ud C.uintptr_t) C.ftp_result {
		return C.w_stor_lines(h, cp, ud)
	})
}

// ListLines returns the raw LIST lines of path ("" for the current directory): untrusted
// server text, for display after escaping. List and OpenListing parse them.
func (c *Conn) ListLines(ctx context.Context, path string) ([]string, error) {
	return c.lines(ctx, "LIST", path, func(h *C.ftp_client, p *C.char, ud C.uintptr_t) C.ftp_result { return C.w_list(h, p, ud) })
}

// NameList returns the names in path (NLST; "" for the current directory), untrusted.
func (c *Conn) NameList(ctx context.Context, path string) ([]string, error) {
	return c.lines(ctx, "NLST", path, func(h *C.ftp_client, p *C.char, ud C.uintptr_t) C.ftp_result { return C.w_nlst(h, p, ud) })
}

func (c *Conn) lines(ctx context.Context, op, path string, f func(*C.ftp_client, *C.char, C.uintptr_t) C.ftp_result) ([]string, error) {
	cp, free := cstr(path)
	defer free()
	var out []string
	st := &callState{line: func(s string) error { out = append(out, s); return nil }}
	err := c.do(ctx, op+" "+path, st, func(h *C.ftp_client, ud C.uintptr_t) C.ftp_result { return f(h, cp, ud) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RetrFile downloads remote into the local file localPath (created or truncated; with
// Resume, continued from its current length with REST). One attempt: DownloadFile adds
// retries and a partial file renamed into place.
func (c *Conn) RetrFile(ctx context.Context, remote, localPath string, opts ...TransferOption) error {
	x := transferOptions(opts)
	cr, freeR := cstr(remote)
	defer freeR()
	cl, freeL := cstr(localPath)
	defer freeL()
	st := &callState{progress: x.progress}
	return c.do(ctx, "RETR "+remote, st, func(h *C.ftp_client, ud C.uintptr_t) C.ftp_result {
		return C.w_retr_file(h, cr, cl, C.bool(x.resume), b2i(x.progress != nil), ud)
	})
}

// StorFile uploads the local file localPath to remote. One attempt: UploadFile adds retries.
func (c *Conn) StorFile(ctx context.Context, localPath, remote string, opts ...TransferOption) error {
	x := transferOptions(opts)
	cr, freeR := cstr(remote)
	defer freeR()
	cl, freeL := cstr(localPath)
	defer freeL()
	st := &callState{progress: x.progress}
	return c.do(ctx, "STOR "+remote, st, func(h *C.ftp_client, ud C.uintptr_t) C.ftp_result {
		return C.w_stor_file(h, cl, cr, b2i(x.progress != nil), ud)
	})
}
