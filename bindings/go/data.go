package ftpc

// #include "glue.h"
import "C"

import (
	"context"
	"io"
	"runtime"
	"unsafe"
)

// DataConn is an open data connection: an io.ReadCloser for a download, an io.WriteCloser for
// an upload. Close it (it reads the server's final reply and reports a short download) or
// Abort it (ABOR); until then other calls on the Conn fail with ErrInvalidState. Its reads and
// writes use the context it was opened with. Its methods may be called from any goroutine
// (they take the Conn's lock). A DataConn left unclosed is aborted by a
// finalizer on a goroutine of its own, as a safety net.
type DataConn struct {
	c   *Conn
	ctx context.Context
	d   *C.ftp_data
	eof bool
}

var (
	_ io.ReadCloser  = (*DataConn)(nil)
	_ io.WriteCloser = (*DataConn)(nil)
)

// Open sends command ("RETR a.bin", "STOR b.bin", "LIST", ...) over a new data connection,
// after REST offset when offset is not 0, and returns the open stream.
func (c *Conn) Open(ctx context.Context, command string, offset int64) (*DataConn, error) {
	cc, free := cstr(command)
	defer free()
	var d *C.ftp_data
	err := c.do(ctx, command, nil, func(h *C.ftp_client, _ C.uintptr_t) C.ftp_result {
		return C.ftp_data_open(h, cc, C.uint64_t(offset), &d)
	})
	if err != nil {
		return nil, err
	}
	dc := &DataConn{c: c, ctx: ctx, d: d}
	runtime.SetFinalizer(dc, func(dc *DataConn) { go dc.Abort() })
	return dc, nil
}

// OpenRetr opens a download of path from byte offset, to read with Read.
func (c *Conn) OpenRetr(ctx context.Context, path string, offset int64) (*DataConn, error) {
	return c.Open(ctx, "RETR "+path, offset)
}

// OpenStor opens an upload to path at byte offset, to write with Write.
func (c *Conn) OpenStor(ctx context.Context, path string, offset int64) (*DataConn, error) {
	return c.Open(ctx, "STOR "+path, offset)
}

// ExpectedSize returns the size the server announced for this transfer in its 150 reply, as
// the server put it: vsftpd announces the whole file's size even after REST, pyftpdlib none.
func (dc *DataConn) ExpectedSize() (int64, bool) {
	var n C.uint64_t
	rc, err := dc.c.childDo(context.Background(), "expected size", func() C.ftp_result {
		if dc.d == nil {
			return C.FTP_DONE
		}
		return C.ftp_data_expected_size(dc.d, &n)
	})
	if err != nil || rc != C.FTP_OK {
		return 0, false
	}
	return int64(n), true
}

// Read reads downloaded data; io.EOF at the end.
func (dc *DataConn) Read(p []byte) (int, error) {
	var n C.size_t
	closed := false
	_, err := dc.c.childDo(dc.ctx, "read", func() C.ftp_result {
		if dc.d == nil {
			closed = true
			return C.FTP_OK
		}
		if dc.eof || len(p) == 0 {
			return C.FTP_OK
		}
		rc := C.ftp_data_read(dc.d, (*C.uint8_t)(unsafe.Pointer(&p[0])), C.size_t(len(p)), &n)
		if rc == C.FTP_OK && n == 0 {
			dc.eof = true
		}
		return rc
	})
	switch {
	case err != nil:
		return 0, err
	case closed:
		return 0, errorf(ClassInvalidState, "read: the data connection is closed")
	case n == 0 && len(p) > 0:
		return 0, io.EOF
	}
	return int(n), nil
}

// Write uploads all of p.
func (dc *DataConn) Write(p []byte) (int, error) {
	closed := false
	_, err := dc.c.childDo(dc.ctx, "write", func() C.ftp_result {
		if dc.d == nil {
			closed = true
			return C.FTP_OK
		}
		if len(p) == 0 {
			return C.FTP_OK
		}
		return C.ftp_data_write(dc.d, (*C.uint8_t)(unsafe.Pointer(&p[0])), C.size_t(len(p)))
	})
	if err != nil {
		return 0, err
	}
	if closed {
		return 0, errorf(ClassInvalidState, "write: the data connection is closed")
	}
	return len(p), nil
}

// Close ends the transfer: it closes the stream (TLS close_notify after an upload) and reads
// the server's final reply. A download whose announced size was not read to the end fails
// with ErrProtocol: to stop early on purpose, use Abort. Calling it again does nothing.
func (dc *DataConn) Close() error { return dc.end(false) }

// Abort stops the transfer with ABOR and drains the replies; the Conn stays usable.
func (dc *DataConn) Abort() error { return dc.end(true) }

func (dc *DataConn) end(abort bool) error {
	runtime.SetFinalizer(dc, nil)
	// Closing always frees the stream, even when the context is already done.
	_, err := dc.c.childDo(context.Background(), "data close", func() C.ftp_result {
		d := dc.d
		if d == nil {
			return C.FTP_OK
		}
		dc.d = nil
		if abort {
			return C.ftp_data_abort(d)
		}
		return C.ftp_data_close(d)
	})
	return err
}
