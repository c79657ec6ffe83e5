//go:build ftpc_static

package ftpc

// Linking libftpc.a into the program (go build -tags ftpc_static): no libftpc.so is needed
// at run time. pkg-config still supplies the include and library directories and, with
// --static, the system libraries the Rust code needs; -Bstatic makes the linker take
// libftpc.a, and --as-needed drops the shared library that pkg-config's -lftpc also names.

// #cgo pkg-config: --static ftpc
// #cgo LDFLAGS: -Wl,--as-needed -Wl,-Bstatic -lftpc -Wl,-Bdynamic
import "C"
