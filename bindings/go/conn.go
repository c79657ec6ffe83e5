package ftpc

// #include "glue.h"
import "C"

import (
	"context"
	"net"
	"runtime"
	"runtime/cgo"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Conn is one FTP session (a control connection and the settings, credentials and retry
// policy that outlive it). Its methods may be called from any goroutine: each takes the
// connection's lock for the call, so calls from several goroutines run one after another
// (use one Conn per goroutine to transfer in parallel). Errors are read from the handle under
// that lock, never from thread-local state.
//
// Close it when done (defer c.Close()). A Conn that becomes unreachable without Close is
// freed by a finalizer as a safety net: without QUIT, without waiting for the network,
// and at a time of the garbage collector's choosing, so do not rely on it.
//
// Every blocking method takes a context.Context. When it is cancelled or its deadline
// passes, the call stops soon (ftp_cancel, from a goroutine watching ctx), even one blocked
// waiting for the server, and returns an *Error of class ClassAborted (ClassTimeout for a
// deadline) that wraps ctx.Err(). The Conn stays usable: its connections were cut, so its
// next call connects and logs in again first. One exception: a TCP connect in progress runs
// to its own timeout (WithConnectTimeout).
type Conn struct {
	mu sync.Mutex
	h  *C.ftp_client // nil once closed
	sh *shared

	retry cgo.Handle // the retry callback's state, 0 when none

	cmu sync.Mutex    // guards cur
	cur *C.ftp_client // the handle while a call runs on it (Close cancels that call)
}

// shared is the part of a Conn that callbacks reach; it never points back to the Conn, so a
// Conn whose callback state is still registered can be finalized.
type shared struct {
	cbThread atomic.Int64 // OS thread inside one of this connection's callbacks, 0 when none
	mu       sync.Mutex
	panicked bool
	panicVal any
}

func (sh *shared) setPanic(p any) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if !sh.panicked {
		sh.panicked, sh.panicVal = true, p
	}
}

func (sh *shared) takePanic() (any, bool) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	p, ok := sh.panicVal, sh.panicked
	sh.panicked, sh.panicVal = false, nil
	return p, ok
}

// enterCallback marks the current OS thread as running one of the connection's callbacks.
// Callbacks run on the thread that made the call, with their goroutine locked to it, so a
// call on the Conn from that thread is a call from inside the callback.
func (sh *shared) enterCallback() func() {
	tid := threadID()
	prev := sh.cbThread.Swap(tid)
	return func() { sh.cbThread.Store(prev) }
}

func (sh *shared) inCallback() bool {
	t := sh.cbThread.Load()
	return t != 0 && t == threadID()
}

// finalizedConns counts Conns freed by their finalizer (read by the tests).
var finalizedConns atomic.Int64

func newConn(h *C.ftp_client) *Conn {
	c := &Conn{h: h, sh: &shared{}}
	runtime.SetFinalizer(c, (*Conn).finalize)
	return c
}

func (c *Conn) finalize() {
	// Unreachable, so no call is running: free without touching the network.
	if c.h != nil {
		C.ftp_free(c.h)
		c.h = nil
		finalizedConns.Add(1)
	}
	if c.retry != 0 {
		c.retry.Delete()
		c.retry = 0
	}
}

// Dial connects to addr ("host:port", or "host" for port 21, 990 with TLSImplicit) and reads
// the welcome message; with WithTLS, it also starts TLS. Log in with Login next.
func Dial(ctx context.Context, addr string, opts ...Option) (*Conn, error) {
	o, cfg, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	host, port, err := splitHostPort(addr, cfg.tls)
	if err != nil {
		C.ftp_options_free(o)
		return nil, err
	}
	c, err := newHandle(o, cfg)
	if err != nil {
		return nil, err
	}
	chost := C.CString(host)
	defer C.free(unsafe.Pointer(chost))
	err = c.do(ctx, "connect "+addr, nil, func(h *C.ftp_client, _ C.uintptr_t) C.ftp_result {
		return C.ftp_open(h, chost, C.uint16_t(port))
	})
	if err != nil {
		c.discard()
		return nil, err
	}
	if err := c.connected(cfg); err != nil {
		return nil, err
	}
	return c, nil
}

// DialURL connects to an ftp://, ftps:// (implicit TLS) or ftpes:// (explicit TLS, data
// protected) URL and logs in with its user and password (anonymously without a user; the
// password from WithPassword when the URL has none). The scheme's TLS mode replaces any
// WithTLS. It returns the connection and the URL's decoded path ("" when none).
func DialURL(ctx context.Context, url string, opts ...Option) (*Conn, string, error) {
	o, cfg, err := newOptions(opts)
	if err != nil {
		return nil, "", err
	}
	c, err := newHandle(o, cfg)
	if err != nil {
		return nil, "", err
	}
	curl := C.CString(url)
	defer C.free(unsafe.Pointer(curl))
	var cpass *C.char
	if cfg.hasPass {
		cpass = C.CString(cfg.password)
		defer C.free(unsafe.Pointer(cpass))
	}
	var path *C.char
	err = c.do(ctx, "connect", nil, func(h *C.ftp_client, _ C.uintptr_t) C.ftp_result {
		return C.ftp_open_url(h, curl, cpass, &path)
	})
	if err != nil {
		c.discard()
		return nil, "", err
	}
	if err := c.connected(cfg); err != nil {
		takeString(path)
		return nil, "", err
	}
	return c, takeString(path), nil
}

func splitHostPort(addr string, tls TLSMode) (string, int, error) {
	port := 21
	if tls == TLSImplicit {
		port = 990
	}
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		// No port: the whole string is the host (an IPv6 address may come bracketed).
		host = addr
		if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
			host = host[1 : len(host)-1]
		}
		return host, port, nil
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return "", 0, errorf(ClassInvalidArgument, "dial %s: bad port %q", addr, p)
	}
	return host, int(n), nil
}

func newHandle(o *C.ftp_options, cfg *config) (*Conn, error) {
	var h *C.ftp_client
	rc := C.ftp_new(o, &h)
	C.ftp_options_free(o)
	if rc != C.FTP_OK {
		return nil, errorf(Class(rc), "ftp_new: %s", Class(rc).Error())
	}
	return newConn(h), nil
}

// connected finishes Dial and DialURL once the handle is connected.
func (c *Conn) connected(cfg *config) error {
	if cfg.onRetry != nil {
		if err := c.OnRetry(cfg.onRetry); err != nil {
			c.discard()
			return err
		}
	}
	return nil
}

// discard frees a handle that failed to connect.
func (c *Conn) discard() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.freeLocked(false)
}

// freeLocked frees the handle (with QUIT when quit) and returns QUIT's result.
func (c *Conn) freeLocked(quit bool) C.ftp_result {
	if c.h == nil {
		return C.FTP_OK
	}
	var rc C.ftp_result = C.FTP_OK
	if quit {
		rc = C.ftp_quit(c.h)
	} else {
		C.ftp_free(c.h)
	}
	c.h = nil
	if c.retry != 0 {
		c.retry.Delete()
		c.retry = 0
	}
	runtime.SetFinalizer(c, nil)
	return rc
}

// do runs one C call on the handle, locked, with ctx honoured; st (may be nil) is the state
// its callbacks reach through the userdata argument.
func (c *Conn) do(ctx context.Context, op string, st *callState,
	call func(h *C.ftp_client, ud C.uintptr_t) C.ftp_result) error {
	_, err := c.doRC(ctx, op, st, call)
	return err
}

// doRC is do returning the non-negative result too (FTP_OK or FTP_DONE).
func (c *Conn) doRC(ctx context.Context, op string, st *callState,
	call func(h *C.ftp_client, ud C.uintptr_t) C.ftp_result) (C.ftp_result, error) {
	if c.sh.inCallback() {
		return 0, errorf(ClassBusy, "%s: called from inside this connection's own callback", op)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h == nil {
		return 0, errorf(ClassInvalidState, "%s: the connection is closed", op)
	}
	return c.runLocked(ctx, op, st, c.h, call)
}

// runLocked makes the call with the lock held. While it runs, a goroutine watches ctx and
// calls ftp_cancel when it is done; callbacks also stop the call when ctx is done.
func (c *Conn) runLocked(ctx context.Context, op string, st *callState, h *C.ftp_client,
	call func(h *C.ftp_client, ud C.uintptr_t) C.ftp_result) (C.ftp_result, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return 0, contextError(op, err, nil)
	}
	var ud C.uintptr_t
	if st != nil {
		st.sh, st.ctx = c.sh, ctx
		handle := cgo.NewHandle(st)
		defer handle.Delete()
		ud = C.uintptr_t(handle)
	}
	var stop, watcherDone chan struct{}
	if ctx.Done() != nil && h != nil {
		stop, watcherDone = make(chan struct{}), make(chan struct{})
		go func() {
			defer close(watcherDone)
			select {
			case <-ctx.Done():
				C.ftp_cancel(h)
			case <-stop:
			}
		}()
	}
	c.setCurrent(h)
	rc := call(h, ud)
	c.setCurrent(nil)
	if stop != nil {
		close(stop)
		<-watcherDone
	}
	runtime.KeepAlive(c)
	if st != nil && st.panicked {
		panic(st.panicValue)
	}
	if p, ok := c.sh.takePanic(); ok {
		panic(p)
	}
	if rc >= 0 {
		return rc, nil
	}
	e := &Error{Class: Class(rc)}
	if h != nil {
		e.ReplyCode, e.Message = int(C.ftp_errreply(h)), C.GoString(C.ftp_errmsg(h))
	} else {
		e.Message = op + ": " + Class(rc).Error()
	}
	if e.Class == ClassAborted {
		if st != nil && st.err != nil {
			e.cause = st.err
		} else if err := ctx.Err(); err != nil {
			return rc, contextError(op, err, e)
		}
	}
	return rc, e
}

// childDo runs a call on a listing or data stream of the connection, locked like the
// connection's own calls. Its errors are kept on the connection's handle; once the connection
// is closed the call runs without it (and the library answers ErrInvalidState).
func (c *Conn) childDo(ctx context.Context, op string, call func() C.ftp_result) (C.ftp_result, error) {
	if c.sh.inCallback() {
		return 0, errorf(ClassBusy, "%s: called from inside this connection's own callback", op)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.runLocked(ctx, op, nil, c.h, func(*C.ftp_client, C.uintptr_t) C.ftp_result { return call() })
}

// Login logs in with USER and PASS, then reads FEAT and turns on UTF-8 where offered. The
// password never appears in any error message.
func (c *Conn) Login(ctx context.Context, user, password string) error {
	return c.LoginAccount(ctx, user, password, "")
}

// LoginAccount is Login with an account for servers that ask for ACCT ("" for none).
func (c *Conn) LoginAccount(ctx context.Context, user, password, account string) error {
	cu, cp := C.CString(user), C.CString(password)
	defer C.free(unsafe.Pointer(cu))
	defer func() {
		// Wipe the password's C copy before freeing it.
		b := unsafe.Slice((*byte)(unsafe.Pointer(cp)), len(password))
		for i := range b {
			b[i] = 0
		}
		C.free(unsafe.Pointer(cp))
	}()
	var ca *C.char
	if account != "" {
		ca = C.CString(account)
		defer C.free(unsafe.Pointer(ca))
	}
	return c.do(ctx, "login", nil, func(h *C.ftp_client, _ C.uintptr_t) C.ftp_result {
		return C.ftp_login(h, cu, cp, ca)
	})
}

// Quit ends the session politely: it sends QUIT, waits for the answer (within the reply
// timeout, or until ctx is done) and frees the connection, whatever the outcome. The error
// tells how QUIT went. Calling Quit or Close again does nothing.
func (c *Conn) Quit(ctx context.Context) error {
	if c.sh.inCallback() {
		return errorf(ClassBusy, "QUIT: called from inside this connection's own callback")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h == nil {
		return nil
	}
	var code C.int
	var text *C.char
	cmd := C.CString("QUIT")
	defer C.free(unsafe.Pointer(cmd))
	_, err := c.runLocked(ctx, "QUIT", nil, c.h, func(h *C.ftp_client, _ C.uintptr_t) C.ftp_result {
		return C.ftp_quote(h, cmd, &code, &text)
	})
	reply := takeString(text)
	c.freeLocked(false) // the server has closed the session, or QUIT failed: no more network
	if err != nil {
		return err
	}
	return replyError("QUIT", int(code), reply)
}

// Close ends the session: it stops a call running on the connection in another goroutine,
// sends QUIT (waiting for the answer at most the reply
// timeout) and frees the connection. It always frees; the error tells how QUIT went. Calling
// it again does nothing. Data streams and listings opened from the Conn stay safe to Close.
func (c *Conn) Close() error {
	if c.sh.inCallback() {
		return errorf(ClassBusy, "close: called from inside this connection's own callback")
	}
	c.cancelRunning()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h == nil {
		return nil
	}
	if rc := c.freeLocked(true); rc != C.FTP_OK {
		return errorf(Class(rc), "QUIT: %s", Class(rc).Error())
	}
	return nil
}

func (c *Conn) setCurrent(h *C.ftp_client) {
	c.cmu.Lock()
	c.cur = h
	c.cmu.Unlock()
}

// cancelRunning cancels the call in progress in another goroutine, if any. The handle cannot
// be freed while cmu is held: the running call clears cur under cmu before it returns.
func (c *Conn) cancelRunning() {
	c.cmu.Lock()
	defer c.cmu.Unlock()
	if c.cur != nil {
		C.ftp_cancel(c.cur)
	}
}

// Welcome returns the server's welcome text (without reply codes): untrusted text that may
// hold terminal control characters.
func (c *Conn) Welcome() string {
	var s string
	c.getter(func(h *C.ftp_client) { s = C.GoString(C.ftp_welcome(h)) })
	return s
}

// LastReply returns the code and text of the last reply the server sent (untrusted text).
func (c *Conn) LastReply() (int, string) {
	var code int
	var text string
	c.getter(func(h *C.ftp_client) {
		code, text = int(C.ftp_reply_code(h)), C.GoString(C.ftp_reply_text(h))
	})
	return code, text
}

// getter reads from the handle; from inside the connection's own callback it reads without
// the lock (the calling goroutine holds it, and the library answers getters there).
func (c *Conn) getter(f func(h *C.ftp_client)) {
	if !c.sh.inCallback() {
		c.mu.Lock()
		defer c.mu.Unlock()
	}
	if c.h != nil {
		f(c.h)
	}
}

// IsTLS reports whether the control connection is under TLS.
func (c *Conn) IsTLS() bool {
	var b C.bool
	_ = c.do(context.Background(), "is_tls", nil, func(h *C.ftp_client, _ C.uintptr_t) C.ftp_result {
		return C.ftp_is_tls(h, &b)
	})
	return bool(b)
}

// LastDataTLSResumed reports whether the last TLS data connection resumed the control
// connection's TLS session (vsftpd and ProFTPD refuse those that do not); ErrNotAvailable
// before the first TLS data connection.
func (c *Conn) LastDataTLSResumed() (bool, error) {
	var b C.bool
	err := c.do(context.Background(), "last_data_tls_resumed", nil, func(h *C.ftp_client, _ C.uintptr_t) C.ftp_result {
		return C.ftp_last_data_tls_resumed(h, &b)
	})
	return bool(b), err
}

// SetTransferType chooses the type of later transfers (TYPE is sent lazily, when it changes).
func (c *Conn) SetTransferType(t TransferType) error {
	return c.do(context.Background(), "TYPE", nil, func(h *C.ftp_client, _ C.uintptr_t) C.ftp_result {
		return C.ftp_set_transfer_type(h, C.int32_t(t))
	})
}

// OnRetry sets (or with nil removes) the function told before each retry of the connection's
// production-layer calls; returning false vetoes the retry. It runs on the goroutine that made
// the call; do not let it capture the Conn (that would keep the Conn from ever being
// finalized), and do not call the Conn from it (ErrBusy).
func (c *Conn) OnRetry(fn func(RetryEvent) bool) error {
	var handle cgo.Handle
	if fn != nil {
		handle = cgo.NewHandle(&retryState{sh: c.sh, fn: fn})
	}
	err := c.do(context.Background(), "set_retry_callback", nil, func(h *C.ftp_client, _ C.uintptr_t) C.ftp_result {
		return C.w_set_retry_callback(h, C.uintptr_t(handle))
	})
	if err != nil {
		if handle != 0 {
			handle.Delete()
		}
		return err
	}
	c.mu.Lock()
	old := c.retry
	c.retry = handle
	c.mu.Unlock()
	if old != 0 {
		old.Delete()
	}
	return nil
}

// SetRetryPolicy sets the retry policy of the production-layer calls.
func (c *Conn) SetRetryPolicy(p RetryPolicy) error {
	a, i, m, x, j := p.c()
	return c.do(context.Background(), "set_retry_policy", nil, func(h *C.ftp_client, _ C.uintptr_t) C.ftp_result {
		return C.ftp_set_retry_policy(h, a, i, m, x, j)
	})
}

// takeString copies and frees a string the library returned through an out-parameter.
func takeString(s *C.char) string {
	if s == nil {
		return ""
	}
	defer C.ftp_string_free(s)
	return C.GoString(s)
}

// Version returns the library's version ("MAJOR.MINOR.PATCH").
func Version() string { return C.GoString(C.ftp_version()) }

// HeaderVersion returns the version of the header this package was compiled against; it
// equals Version() when the library matches.
func HeaderVersion() string { return C.FTPC_VERSION_STRING }
