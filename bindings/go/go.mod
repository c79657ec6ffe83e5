module ftpc.dev/ftpc

go 1.19
