// Package ftpc is an FTP and FTPS client for Go, on top of libftpc (ftpc's C library).
//
//	c, err := ftpc.Dial(ctx, "ftp.example.net:21", ftpc.WithTLS(ftpc.TLSAll))
//	if err != nil { ... }
//	defer c.Close()
//	if err := c.Login(ctx, "user", password); err != nil { ... }
//	n, err := c.Retr(ctx, "file.bin", w) // any io.Writer
//
// Data moves through io.Writer and io.Reader (Retr, Stor, Append) or a DataConn (an
// io.ReadCloser and io.WriteCloser, from Open). Every blocking method takes a
// context.Context: cancelling it stops the call at once, even one waiting for the server
// (the library's ftp_cancel), and the connection stays usable.
//
// Errors are *Error values with a Class, the server's ReplyCode and a Message; each Class is
// a sentinel for errors.Is (ErrTemporary, ErrPermanent, ErrTimeout, ErrTLS, ErrAborted, ...).
// Text from the server (messages, replies, names) is untrusted.
//
// A Conn is safe to use from any goroutine (calls are serialized by a lock; use one Conn per
// goroutine for parallel transfers) and never relies on the C library's thread-local state.
// Close it when done; a finalizer frees a forgotten one without touching the network.
//
// Linking: through pkg-config (PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig), with the shared library
// by default or libftpc.a with the build tag ftpc_static.
package ftpc
