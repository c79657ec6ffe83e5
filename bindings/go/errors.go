package ftpc

// #include <ftpc.h>
import "C"

import (
	"context"
	"fmt"
)

// Class is the kind of a failure: the library's FTP_ERR_* result codes, one per class of
// Python ftplib's exceptions plus a few of ftpc's own. Every Class is also an error, so the
// Err* values below work as sentinels with errors.Is:
//
//	if errors.Is(err, ftpc.ErrPermanent) { ... }        // any 5xx refusal
//	var e *ftpc.Error
//	if errors.As(err, &e) && e.ReplyCode == 550 { ... } // the server's reply code
type Class int32

// The classes, with the values of the C library's FTP_ERR_* codes.
const (
	ClassInvalidArgument Class = C.FTP_ERR_INVALID_ARGUMENT // bad argument, or CR/LF/NUL bound for the server
	ClassTemporary       Class = C.FTP_ERR_TEMPORARY        // the server answered 4xx
	ClassPermanent       Class = C.FTP_ERR_PERMANENT        // the server answered 5xx
	ClassUnexpectedReply Class = C.FTP_ERR_UNEXPECTED_REPLY // a well-formed reply the command did not expect
	ClassProtocol        Class = C.FTP_ERR_PROTOCOL         // malformed, oversized or truncated replies or data
	ClassIO              Class = C.FTP_ERR_IO               // a socket or local file failed
	ClassTimeout         Class = C.FTP_ERR_TIMEOUT          // a timeout (or the context's deadline) ran out
	ClassTLS             Class = C.FTP_ERR_TLS              // handshake, verification, or a cut TLS stream
	ClassAborted         Class = C.FTP_ERR_ABORTED          // a callback, a writer/reader or the context stopped the call
	ClassBusy            Class = C.FTP_ERR_BUSY             // called from inside the connection's own callback
	ClassNotAvailable    Class = C.FTP_ERR_NOT_AVAILABLE    // the value asked for is not available
	ClassPanic           Class = C.FTP_ERR_PANIC            // the library caught an internal panic
	ClassInvalidState    Class = C.FTP_ERR_INVALID_STATE    // closed connection, or a data stream still open
	ClassIntegrity       Class = C.FTP_ERR_INTEGRITY        // a verified transfer's hash differs from the server's
)

// Sentinels for errors.Is, one per class.
var (
	ErrInvalidArgument error = ClassInvalidArgument
	ErrTemporary       error = ClassTemporary
	ErrPermanent       error = ClassPermanent
	ErrUnexpectedReply error = ClassUnexpectedReply
	ErrProtocol        error = ClassProtocol
	ErrIO              error = ClassIO
	ErrTimeout         error = ClassTimeout
	ErrTLS             error = ClassTLS
	ErrAborted         error = ClassAborted
	ErrBusy            error = ClassBusy
	ErrNotAvailable    error = ClassNotAvailable
	ErrPanic           error = ClassPanic
	ErrIntegrity       error = ClassIntegrity
	ErrInvalidState    error = ClassInvalidState
)

// Error is the library's static name of the class, such as "FTP_ERR_TIMEOUT: timed out".
func (c Class) Error() string { return C.GoString(C.ftp_strerror(C.ftp_result(c))) }

// String is the same as Error.
func (c Class) String() string { return c.Error() }

// Error is every failure this package returns (but for errors of the io.Writer, io.Reader or
// callback you passed, which are wrapped in one: see Unwrap).
type Error struct {
	// Class is the kind of failure; errors.Is(err, ErrX) compares it.
	Class Class
	// ReplyCode is the server's three-digit reply behind the failure, or 0 when none (a
	// timeout, a local error).
	ReplyCode int
	// Message is one line naming the operation, the server's reply and the cause
	// ("RETR a.bin: 550 No such file"). It contains text from the server, which is
	// untrusted: escape it before showing it on a terminal or in HTML. It never contains a
	// password.
	Message string

	cause error
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Class.Error()
	}
	if e.cause != nil {
		return msg + ": " + e.cause.Error()
	}
	return msg
}

// Unwrap returns the cause of an aborted call: the error your io.Writer, io.Reader or
// callback returned, or the context's error (context.Canceled, context.DeadlineExceeded).
func (e *Error) Unwrap() error { return e.cause }

// Is makes errors.Is(err, ErrPermanent) and the like compare the class.
func (e *Error) Is(target error) bool {
	c, ok := target.(Class)
	return ok && c == e.Class
}

func errorf(class Class, format string, args ...any) *Error {
	return &Error{Class: class, Message: fmt.Sprintf(format, args...)}
}

// contextError is the error of a call stopped because ctx is done.
func contextError(op string, err error, base *Error) *Error {
	e := &Error{Class: ClassAborted, Message: op + ": " + "cancelled", cause: err}
	if base != nil {
		e.Message, e.ReplyCode = base.Message, base.ReplyCode
	}
	if err == context.DeadlineExceeded {
		e.Class = ClassTimeout
	}
	return e
}
