package ftpc

import "syscall"

// threadID is the calling OS thread's id (see shared.enterCallback).
func threadID() int64 { return int64(syscall.Gettid()) }
