package ftpc

// FinalizedConns is the number of Conns their finalizer freed (for the tests).
func FinalizedConns() int64 { return finalizedConns.Load() }
