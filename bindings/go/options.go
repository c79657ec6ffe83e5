package ftpc

// #include <stdlib.h>
// #include <ftpc.h>
import "C"

import (
	"math"
	"time"
	"unsafe"
)

// TLSMode is how a connection uses TLS.
type TLSMode int32

const (
	TLSNone     TLSMode = C.FTP_TLS_NONE     // plain FTP (the default)
	TLSTry      TLSMode = C.FTP_TLS_TRY      // explicit TLS if the server accepts AUTH TLS, else plain
	TLSControl  TLSMode = C.FTP_TLS_CONTROL  // explicit TLS required on the control connection
	TLSAll      TLSMode = C.FTP_TLS_ALL      // explicit TLS required on control and data connections
	TLSImplicit TLSMode = C.FTP_TLS_IMPLICIT // TLS from the first byte (port 990 by convention)
)

// PassiveMode chooses the command that opens passive data connections.
type PassiveMode int32

const (
	PassiveAuto PassiveMode = C.FTP_PASSIVE_AUTO // EPSV, falling back to PASV (the default)
	PassiveEPSV PassiveMode = C.FTP_PASSIVE_EPSV // EPSV only
	PassivePASV PassiveMode = C.FTP_PASSIVE_PASV // PASV only
)

// TLSVersion is a TLS protocol version for WithTLSVersions.
type TLSVersion int32

const (
	TLS12 TLSVersion = C.FTP_TLS_VERSION_1_2
	TLS13 TLSVersion = C.FTP_TLS_VERSION_1_3
)

// TransferType is the FTP representation type of transfers.
type TransferType int32

const (
	Binary TransferType = C.FTP_TYPE_BINARY // TYPE I (the default)
	ASCII  TransferType = C.FTP_TYPE_ASCII  // TYPE A, with CRLF/LF conversion
)

// ActiveMode configures active (PORT/EPRT) data connections; see WithActive.
type ActiveMode struct {
	BindAddress      string // local address to listen on; "" for the control connection's
	AdvertiseAddress string // address sent to the server (for NAT); "" for the bound one
	PortMin, PortMax uint16 // port range tried in order; 0 and 0 for any free port
	EPRT             bool   // use EPRT even for IPv4
}

// RetryPolicy is how transient failures are retried: by the production-layer methods
// (DownloadFile, UploadFile, List, EnsureDirectory, Sync, Mirror) and, when given to Dial
// with WithRetry, by connecting and logging in too. Start from DefaultRetryPolicy.
type RetryPolicy struct {
	MaxAttempts  int           // attempts in all; 1 never retries
	InitialDelay time.Duration // wait before the first retry
	Multiplier   float64       // each wait is this many times the previous one (2 doubles)
	MaxDelay     time.Duration // longest wait
	Jitter       float64       // each wait varies by up to this fraction either way (0.2 = ±20%)
}

// DefaultRetryPolicy is the library's default: 4 attempts, 500 ms doubling up to 30 s, ±20%.
var DefaultRetryPolicy = RetryPolicy{
	MaxAttempts: 4, InitialDelay: 500 * time.Millisecond, Multiplier: 2,
	MaxDelay: 30 * time.Second, Jitter: 0.2,
}

// RetryEvent is told to a retry callback (WithRetryCallback, Conn.OnRetry) before each retry.
type RetryEvent struct {
	Attempt int           // the attempt that failed, from 1
	Err     *Error        // its error (class, reply code, message: untrusted server text)
	Delay   time.Duration // the wait before the next attempt
}

// Option configures Dial and DialURL.
type Option func(*config)

type setter func(*C.ftp_options) C.ftp_result

type config struct {
	setters  []setter
	password string
	hasPass  bool
	onRetry  func(RetryEvent) bool
	tls      TLSMode
}

func (c *config) add(s setter) { c.setters = append(c.setters, s) }

func ms(d time.Duration) C.uint32_t {
	if d <= 0 {
		return 0
	}
	m := (d + time.Millisecond - 1) / time.Millisecond
	if m > math.MaxUint32 {
		m = math.MaxUint32
	}
	return C.uint32_t(m)
}

func withString(s string, f func(*C.char) C.ftp_result) C.ftp_result {
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))
	return f(cs)
}

// WithTLS sets the TLS mode (default TLSNone). Certificates are verified against the system's
// CA store (SSL_CERT_FILE and SSL_CERT_DIR are honoured) and any added with WithCAFile.
func WithTLS(mode TLSMode) Option {
	return func(c *config) {
		c.tls = mode
		c.add(func(o *C.ftp_options) C.ftp_result { return C.ftp_options_set_tls(o, C.int32_t(mode)) })
	}
}

// WithCAFile trusts the CA certificates in a PEM file besides the system store.
func WithCAFile(path string) Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result {
			return withString(path, func(s *C.char) C.ftp_result { return C.ftp_options_set_tls_ca_file(o, s) })
		})
	}
}

// WithCADir trusts the PEM CA certificates in a directory besides the system store.
func WithCADir(path string) Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result {
			return withString(path, func(s *C.char) C.ftp_result { return C.ftp_options_set_tls_ca_dir(o, s) })
		})
	}
}

// WithoutSystemRoots stops trusting the system's CA store: only WithCAFile, WithCADir and
// WithPin certificates are accepted.
func WithoutSystemRoots() Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result { return C.ftp_options_set_tls_system_roots(o, false) })
	}
}

// WithServerName sets the name sent as SNI and verified in the certificate (default: the host).
func WithServerName(name string) Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result {
			return withString(name, func(s *C.char) C.ftp_result { return C.ftp_options_set_tls_server_name(o, s) })
		})
	}
}

// WithPin adds a pinned server certificate: "sha256//BASE64" (curl's form, of the public key)
// or 64 hex digits (of the DER certificate or its public key). With pins, exactly the pinned
// certificates are accepted, whatever their issuer.
func WithPin(pin string) Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result {
			return withString(pin, func(s *C.char) C.ftp_result { return C.ftp_options_add_tls_pin(o, s) })
		})
	}
}

// WithClientCert presents a client certificate chain and key (PEM files, read when connecting).
func WithClientCert(certFile, keyFile string) Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result {
			cc, ck := C.CString(certFile), C.CString(keyFile)
			defer C.free(unsafe.Pointer(cc))
			defer C.free(unsafe.Pointer(ck))
			return C.ftp_options_set_tls_client_cert(o, cc, ck)
		})
	}
}

// DangerousDisableTLSVerification accepts any server certificate from anyone, so anyone on
// the path can read and change the session. Only for tests and networks you already trust.
func DangerousDisableTLSVerification() Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result { return C.ftp_options_dangerous_disable_tls_verification(o) })
	}
}

// WithClearData sends PROT C: data connections stay unencrypted under TLS.
func WithClearData() Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result {
			return C.ftp_options_set_tls_data_protection(o, C.FTP_PROT_CLEAR)
		})
	}
}

// WithAllowMissingCloseNotify treats a TLS download that ends without close_notify as
// complete (for servers known not to send it); by default that is an ErrTLS failure.
func WithAllowMissingCloseNotify() Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result { return C.ftp_options_set_tls_allow_missing_close_notify(o, true) })
	}
}

// WithTLSVersions bounds the TLS versions allowed.
func WithTLSVersions(min, max TLSVersion) Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result {
			return C.ftp_options_set_tls_versions(o, C.int32_t(min), C.int32_t(max))
		})
	}
}

// WithCCC sends CCC after login: the control connection returns to plain text, data stays
// protected.
func WithCCC() Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result { return C.ftp_options_set_tls_ccc(o, true) })
	}
}

// WithTimeout sets every phase's timeout at once (0 waits forever). A context deadline
// applies on top of them.
func WithTimeout(d time.Duration) Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result { return C.ftp_options_set_timeout_ms(o, ms(d)) })
	}
}

// WithConnectTimeout limits opening the control connection (default 30 s).
func WithConnectTimeout(d time.Duration) Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result { return C.ftp_options_set_connect_timeout_ms(o, ms(d)) })
	}
}

// WithReplyTimeout limits the wait for each reply on the control connection (default 60 s).
func WithReplyTimeout(d time.Duration) Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result { return C.ftp_options_set_reply_timeout_ms(o, ms(d)) })
	}
}

// WithDataConnectTimeout limits opening a passive data connection and its TLS handshake
// (default 30 s).
func WithDataConnectTimeout(d time.Duration) Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result { return C.ftp_options_set_data_connect_timeout_ms(o, ms(d)) })
	}
}

// WithAcceptTimeout limits the wait for the server to connect in active mode (default 60 s).
func WithAcceptTimeout(d time.Duration) Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result { return C.ftp_options_set_accept_timeout_ms(o, ms(d)) })
	}
}

// WithDataIdleTimeout limits how long a data connection may stay silent mid-transfer
// (default 60 s).
func WithDataIdleTimeout(d time.Duration) Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result { return C.ftp_options_set_data_idle_timeout_ms(o, ms(d)) })
	}
}

// WithKeepalive sends NOOP on the control connection every d during transfers (default never).
func WithKeepalive(d time.Duration) Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result { return C.ftp_options_set_keepalive_ms(o, ms(d)) })
	}
}

// WithPassive chooses passive data connections (the default) with the given command.
func WithPassive(mode PassiveMode) Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result { return C.ftp_options_set_passive_mode(o, C.int32_t(mode)) })
	}
}

// WithActive chooses active data connections (PORT, or EPRT). The library accepts a data
// connection only from the control connection's peer.
func WithActive(a ActiveMode) Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result {
			b, ad := C.CString(a.BindAddress), C.CString(a.AdvertiseAddress)
			defer C.free(unsafe.Pointer(b))
			defer C.free(unsafe.Pointer(ad))
			return C.ftp_options_set_active(o, b, ad, C.uint16_t(a.PortMin), C.uint16_t(a.PortMax), C.bool(a.EPRT))
		})
	}
}

// WithTrustPASVAddress uses the address in PASV replies (by default the control connection's
// peer address is used, as curl and ftplib do since CVE-2020-8284).
func WithTrustPASVAddress() Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result { return C.ftp_options_set_trust_pasv_address(o, true) })
	}
}

// WithBlockSize sets the bytes per read or write on data connections (default 64 KiB).
func WithBlockSize(n int) Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result { return C.ftp_options_set_block_size(o, C.size_t(n)) })
	}
}

// WithTransferType sets the initial transfer type (default Binary).
func WithTransferType(t TransferType) Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result { return C.ftp_options_set_transfer_type(o, C.int32_t(t)) })
	}
}

// WithoutUTF8 stops sending OPTS UTF8 ON after login.
func WithoutUTF8() Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result { return C.ftp_options_set_utf8(o, false) })
	}
}

// WithRetry retries transient failures of connecting and logging in, and sets the policy of
// the production-layer methods.
func WithRetry(p RetryPolicy) Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result {
			a, i, m, x, j := p.c()
			return C.ftp_options_set_retry_policy(o, a, i, m, x, j)
		})
	}
}

// WithRetryCallback sets the connection's retry callback (Conn.OnRetry) once it is connected:
// it is told before each retry of the production-layer calls; returning false vetoes the
// retry. Retries of the connect itself are not reported (the library takes a retry callback
// only on a connected handle).
func WithRetryCallback(fn func(RetryEvent) bool) Option {
	return func(c *config) { c.onRetry = fn }
}

// WithListingLimits bounds collected listings (List, and each directory Sync and Mirror
// list): at most entries entries and bytes bytes of listing lines (defaults 100000, 32 MiB).
func WithListingLimits(entries, bytes uint64) Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result {
			return C.ftp_options_set_max_listing_entries(o, C.uint64_t(entries))
		})
		c.add(func(o *C.ftp_options) C.ftp_result { return C.ftp_options_set_max_listing_bytes(o, C.uint64_t(bytes)) })
	}
}

// WithTreeLimits bounds the walks of Sync and Mirror: depth levels below the named directory
// and entries listed in all (defaults 64, 1000000).
func WithTreeLimits(depth uint32, entries uint64) Option {
	return func(c *config) {
		c.add(func(o *C.ftp_options) C.ftp_result { return C.ftp_options_set_max_tree_depth(o, C.uint32_t(depth)) })
		c.add(func(o *C.ftp_options) C.ftp_result { return C.ftp_options_set_max_tree_entries(o, C.uint64_t(entries)) })
	}
}

// WithPassword is the password DialURL uses when the URL names a user but no password (so
// the password need not appear in the URL). Dial ignores it.
func WithPassword(password string) Option {
	return func(c *config) { c.password, c.hasPass = password, true }
}

func (p RetryPolicy) c() (C.uint32_t, C.uint32_t, C.uint32_t, C.uint32_t, C.uint32_t) {
	clamp := func(f float64) C.uint32_t {
		if f < 0 {
			return 0
		}
		if f > math.MaxUint32 {
			return math.MaxUint32
		}
		return C.uint32_t(math.Round(f))
	}
	return clamp(float64(p.MaxAttempts)), ms(p.InitialDelay), clamp(p.Multiplier * 100),
		ms(p.MaxDelay), clamp(p.Jitter * 100)
}

// newOptions builds the C options of an Option list; the caller frees them.
func newOptions(opts []Option) (*C.ftp_options, *config, error) {
	cfg := &config{}
	for _, o := range opts {
		o(cfg)
	}
	o := C.ftp_options_new()
	if o == nil {
		return nil, nil, errorf(ClassIO, "ftp_options_new: out of memory")
	}
	for _, s := range cfg.setters {
		if rc := s(o); rc != C.FTP_OK {
			e := &Error{Class: Class(C.ftp_options_errcode(o)), Message: C.GoString(C.ftp_options_errmsg(o))}
			C.ftp_options_free(o)
			return nil, nil, e
		}
	}
	return o, cfg, nil
}
