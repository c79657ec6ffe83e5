//go:build !linux

package ftpc

// threadID is 0 where the thread id is not at hand: calls from inside a connection's own
// callback then wait for the lock (a deadlock) instead of failing with ErrBusy.
func threadID() int64 { return 0 }
