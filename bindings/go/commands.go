package ftpc

// #include <stdlib.h>
// #include <ftpc.h>
import "C"

import (
	"context"
	"fmt"
	"time"
	"unsafe"
)

// cstr returns a C copy of s and the function that frees it.
func cstr(s string) (*C.char, func()) {
	cs := C.CString(s)
	return cs, func() { C.free(unsafe.Pointer(cs)) }
}

// pathCall runs a call that takes one path.
func (c *Conn) pathCall(ctx context.Context, op, path string, f func(h *C.ftp_client, p *C.char) C.ftp_result) error {
	cp, free := cstr(path)
	defer free()
	return c.do(ctx, op+" "+path, nil, func(h *C.ftp_client, _ C.uintptr_t) C.ftp_result { return f(h, cp) })
}

// CurrentDir returns the current directory (PWD).
func (c *Conn) CurrentDir(ctx context.Context) (string, error) {
	var out *C.char
	err := c.do(ctx, "PWD", nil, func(h *C.ftp_client, _ C.uintptr_t) C.ftp_result { return C.ftp_pwd(h, &out) })
	return takeString(out), err
}

// ChangeDir changes the current directory (CWD).
func (c *Conn) ChangeDir(ctx context.Context, path string) error {
	return c.pathCall(ctx, "CWD", path, func(h *C.ftp_client, p *C.char) C.ftp_result { return C.ftp_cwd(h, p) })
}

// ChangeDirToParent goes to the parent directory (CDUP).
func (c *Conn) ChangeDirToParent(ctx context.Context) error {
	return c.do(ctx, "CDUP", nil, func(h *C.ftp_client, _ C.uintptr_t) C.ftp_result { return C.ftp_cdup(h) })
}

// MakeDir creates a directory (MKD) and returns its path as the server reports it.
func (c *Conn) MakeDir(ctx context.Context, path string) (string, error) {
	var out *C.char
	err := c.pathCall(ctx, "MKD", path, func(h *C.ftp_client, p *C.char) C.ftp_result { return C.ftp_mkd(h, p, &out) })
	return takeString(out), err
}

// RemoveDir removes an empty directory (RMD).
func (c *Conn) RemoveDir(ctx context.Context, path string) error {
	return c.pathCall(ctx, "RMD", path, func(h *C.ftp_client, p *C.char) C.ftp_result { return C.ftp_rmd(h, p) })
}

// Delete deletes a file (DELE).
func (c *Conn) Delete(ctx context.Context, path string) error {
	return c.pathCall(ctx, "DELE", path, func(h *C.ftp_client, p *C.char) C.ftp_result { return C.ftp_delete(h, p) })
}

// Rename renames from to to (RNFR, RNTO).
func (c *Conn) Rename(ctx context.Context, from, to string) error {
	cf, freeF := cstr(from)
	defer freeF()
	ct, freeT := cstr(to)
	defer freeT()
	return c.do(ctx, "RNFR "+from, nil, func(h *C.ftp_client, _ C.uintptr_t) C.ftp_result { return C.ftp_rename(h, cf, ct) })
}

// FileSize returns a file's size in bytes (SIZE).
func (c *Conn) FileSize(ctx context.Context, path string) (int64, error) {
	var n C.uint64_t
	err := c.pathCall(ctx, "SIZE", path, func(h *C.ftp_client, p *C.char) C.ftp_result { return C.ftp_size(h, p, &n) })
	return int64(n), err
}

// ModTime returns a file's modification time (MDTM), in UTC.
func (c *Conn) ModTime(ctx context.Context, path string) (time.Time, error) {
	var t C.int64_t
	err := c.pathCall(ctx, "MDTM", path, func(h *C.ftp_client, p *C.char) C.ftp_result { return C.ftp_mdtm(h, p, &t) })
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(int64(t), 0).UTC(), nil
}

// SetModTime sets a file's modification time (MFMT), to the second.
func (c *Conn) SetModTime(ctx context.Context, path string, t time.Time) error {
	return c.pathCall(ctx, "MFMT", path, func(h *C.ftp_client, p *C.char) C.ftp_result {
		return C.ftp_mfmt(h, p, C.int64_t(t.Unix()))
	})
}

// NoOp sends NOOP.
func (c *Conn) NoOp(ctx context.Context) error {
	return c.do(ctx, "NOOP", nil, func(h *C.ftp_client, _ C.uintptr_t) C.ftp_result { return C.ftp_noop(h) })
}

// Abort sends ABOR outside a transfer (ftplib's abort()). To stop a transfer, cancel its
// context, return an error from its writer, reader or callback, or use DataConn.Abort.
func (c *Conn) Abort(ctx context.Context) error {
	return c.do(ctx, "ABOR", nil, func(h *C.ftp_client, _ C.uintptr_t) C.ftp_result { return C.ftp_abort(h) })
}

// Reply is a server reply to a raw command. Text is untrusted server text.
type Reply struct {
	Code int
	Text string
}

// Quote sends a raw command line and returns the reply, whatever its code: a 4xx or 5xx
// reply is not an error here (ftplib's sendcmd); use Reply.Err for that. CR, LF and NUL are
// refused (ErrInvalidArgument). Commands that open data connections belong in Open.
func (c *Conn) Quote(ctx context.Context, command string) (Reply, error) {
	cc, free := cstr(command)
	defer free()
	var code C.int
	var text *C.char
	err := c.do(ctx, "quote", nil, func(h *C.ftp_client, _ C.uintptr_t) C.ftp_result {
		return C.ftp_quote(h, cc, &code, &text)
	})
	return Reply{Code: int(code), Text: takeString(text)}, err
}

// Err returns nil for a 1xx, 2xx or 3xx reply and an *Error of class ClassTemporary (4xx),
// ClassPermanent (5xx) or ClassUnexpectedReply otherwise.
func (r Reply) Err() error { return replyError("reply", r.Code, r.Text) }

func replyError(op string, code int, text string) error {
	var class Class
	switch {
	case code >= 100 && code < 400:
		return nil
	case code >= 400 && code < 500:
		class = ClassTemporary
	case code >= 500 && code < 600:
		class = ClassPermanent
	default:
		class = ClassUnexpectedReply
	}
	return &Error{Class: class, ReplyCode: code, Message: fmt.Sprintf("%s: %d %s", op, code, text)}
}

// HasFeature reports whether the server listed feature in FEAT (case-insensitive).
func (c *Conn) HasFeature(ctx context.Context, feature string) (bool, error) {
	var b C.bool
	err := c.pathCall(ctx, "FEAT", feature, func(h *C.ftp_client, p *C.char) C.ftp_result { return C.ftp_feat_has(h, p, &b) })
	return bool(b), err
}

// FeatureParams returns the parameters the server listed for feature in FEAT;
// ErrNotAvailable when it is not listed.
func (c *Conn) FeatureParams(ctx context.Context, feature string) (string, error) {
	var out *C.char
	err := c.pathCall(ctx, "FEAT", feature, func(h *C.ftp_client, p *C.char) C.ftp_result { return C.ftp_feat_params(h, p, &out) })
	return takeString(out), err
}
