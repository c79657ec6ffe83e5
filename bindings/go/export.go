package ftpc

// #include <stdint.h>
// #include <stddef.h>
import "C"

import (
	"context"
	"io"
	"runtime/cgo"
	"time"
	"unsafe"
)

// callState is what one call's callbacks reach through their userdata, a cgo.Handle: the
// writer, reader and functions they forward to, and what they report back (the first error,
// a panic to re-raise after the call returns).
type callState struct {
	sh       *shared
	ctx      context.Context
	w        io.Writer
	r        io.Reader
	progress ProgressFunc
	line     func(string) error
	sync     func(SyncEvent) error

	n          int64 // bytes through w or r
	err        error // the first error of a writer, reader or callback
	panicked   bool
	panicValue any
}

// stop records why a callback stops the call and returns the non-zero value that does.
func (st *callState) stop(err error) C.int {
	if st.err == nil {
		st.err = err
	}
	return 1
}

// enter runs f as a callback of the call: it marks the thread as inside the connection's own
// callback (so that calling the connection from f fails with ErrBusy instead of deadlocking),
// checks the context, and turns a panic into a stop, kept to be re-raised.
func enter(ud C.uintptr_t, f func(st *callState) C.int) (rc C.int) {
	st := cgo.Handle(ud).Value().(*callState)
	if st.panicked {
		return 1
	}
	if err := st.ctx.Err(); err != nil {
		return 1 // the call turns this into the context's error
	}
	leave := st.sh.enterCallback()
	defer func() {
		leave()
		if p := recover(); p != nil {
			st.panicked, st.panicValue = true, p
			rc = 1
		}
	}()
	return f(st)
}

//export ftpcGoWrite
func ftpcGoWrite(ud C.uintptr_t, data *C.uint8_t, n C.size_t) C.int {
	return enter(ud, func(st *callState) C.int {
		p := unsafe.Slice((*byte)(unsafe.Pointer(data)), int(n))
		written, err := st.w.Write(p)
		st.n += int64(written)
		if err == nil && written != len(p) {
			err = io.ErrShortWrite
		}
		if err != nil {
			return st.stop(err)
		}
		return 0
	})
}

//export ftpcGoRead
func ftpcGoRead(ud C.uintptr_t, buffer *C.uint8_t, capacity C.size_t, outLen *C.size_t) C.int {
	return enter(ud, func(st *callState) C.int {
		p := unsafe.Slice((*byte)(unsafe.Pointer(buffer)), int(capacity))
		// A Reader may return 0 bytes and no error; ask again rather than report an end.
		for tries := 0; ; tries++ {
			n, err := st.r.Read(p)
			st.n += int64(n)
			if n > 0 {
				// Data with io.EOF: hand the data over; the next call reads EOF again.
				if err != nil && err != io.EOF {
					return st.stop(err)
				}
				*outLen = C.size_t(n)
				return 0
			}
			if err == io.EOF {
				*outLen = 0
				return 0
			}
			if err != nil {
				return st.stop(err)
			}
			if tries >= 100 {
				return st.stop(io.ErrNoProgress)
			}
		}
	})
}

//export ftpcGoProgress
func ftpcGoProgress(ud C.uintptr_t, transferred C.uint64_t, total C.int64_t) C.int {
	return enter(ud, func(st *callState) C.int {
		if st.progress == nil {
			return 0
		}
		if err := st.progress(int64(transferred), int64(total)); err != nil {
			return st.stop(err)
		}
		return 0
	})
}

//export ftpcGoLine
func ftpcGoLine(ud C.uintptr_t, line *C.char, n C.size_t) C.int {
	return enter(ud, func(st *callState) C.int {
		if err := st.line(C.GoStringN(line, C.int(n))); err != nil {
			return st.stop(err)
		}
		return 0
	})
}

//export ftpcGoSync
func ftpcGoSync(ud C.uintptr_t, action C.int32_t, path *C.char, bytes C.uint64_t,
	filesDone C.uint64_t, filesTotal C.uint64_t, code C.int32_t, message *C.char) C.int {
	return enter(ud, func(st *callState) C.int {
		ev := SyncEvent{
			Action:     SyncAction(action),
			Path:       C.GoString(path),
			Bytes:      int64(bytes),
			FilesDone:  int64(filesDone),
			FilesTotal: int64(filesTotal),
			Message:    C.GoString(message),
		}
		if code < 0 {
			ev.Err = &Error{Class: Class(code), Message: ev.Message}
		}
		if err := st.sync(ev); err != nil {
			return st.stop(err)
		}
		return 0
	})
}

// retryState is the userdata of a connection's retry callback, which outlives single calls.
// It must not point to the Conn (the handle table would keep the Conn from being finalized).
type retryState struct {
	sh *shared
	fn func(RetryEvent) bool
}

//export ftpcGoRetry
func ftpcGoRetry(ud C.uintptr_t, attempt C.uint32_t, code C.int32_t, reply C.int,
	message *C.char, delayMs C.uint32_t) (rc C.int) {
	rs := cgo.Handle(ud).Value().(*retryState)
	leave := rs.sh.enterCallback()
	defer func() {
		leave()
		if p := recover(); p != nil {
			rs.sh.setPanic(p)
			rc = 1
		}
	}()
	ev := RetryEvent{
		Attempt: int(attempt),
		Err:     &Error{Class: Class(code), ReplyCode: int(reply), Message: C.GoString(message)},
		Delay:   time.Duration(delayMs) * time.Millisecond,
	}
	if rs.fn(ev) {
		return 0
	}
	return 1
}
