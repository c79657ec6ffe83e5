//go:build !ftpc_static

package ftpc

// Linking against the shared library (the default): pkg-config finds ftpc.pc, so set
// PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig for a private prefix, and make the library findable
// at run time (LD_LIBRARY_PATH=$PREFIX/lib, or CGO_LDFLAGS=-Wl,-rpath,$PREFIX/lib).

// #cgo pkg-config: ftpc
import "C"
