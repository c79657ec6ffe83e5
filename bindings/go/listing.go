package ftpc

// #include "glue.h"
import "C"

import (
	"context"
	"runtime"
	"time"
	"unsafe"
)

// EntryType is the type of a listed object.
type EntryType int32

const (
	TypeFile       EntryType = C.FTP_ENTRY_FILE
	TypeDir        EntryType = C.FTP_ENTRY_DIR
	TypeCurrentDir EntryType = C.FTP_ENTRY_CURRENT_DIR // MLSD "cdir"
	TypeParentDir  EntryType = C.FTP_ENTRY_PARENT_DIR  // MLSD "pdir"
	TypeLink       EntryType = C.FTP_ENTRY_LINK
	TypeOther      EntryType = C.FTP_ENTRY_OTHER // Facts["type"] has the server's word
)

func (t EntryType) String() string {
	switch t {
	case TypeFile:
		return "file"
	case TypeDir:
		return "dir"
	case TypeCurrentDir:
		return "cdir"
	case TypeParentDir:
		return "pdir"
	case TypeLink:
		return "link"
	}
	return "other"
}

// Entry is one listed object. Every string in it comes from the server and is untrusted:
// never use Name as a local path without checking it (Mirror does), and escape it before
// showing it on a terminal.
type Entry struct {
	// Name is exactly the bytes the server sent (not necessarily UTF-8).
	Name string
	Type EntryType
	// Size is the size in bytes, or -1 when the listing gave none.
	Size int64
	// ModTime is the modification time in UTC; the zero Time when the listing gave none.
	ModTime time.Time
	// Facts holds the listing's facts by lower-case name (MLSD: perm, unique, unix.mode, ...;
	// LIST: unix.mode, unix.owner, unix.group, unix.nlink), for the names in KnownFacts.
	Facts map[string]string
}

// IsDir reports whether the entry is a directory.
func (e Entry) IsDir() bool { return e.Type == TypeDir }

// KnownFacts are the fact names Entry.Facts is filled with when the listing has them (the C
// library answers facts by name and cannot enumerate them).
var KnownFacts = []string{"type", "size", "sizd", "modify", "create", "perm", "unique", "lang",
	"media-type", "charset", "unix.mode", "unix.owner", "unix.group", "unix.uid", "unix.gid",
	"unix.nlink", "unix.ownername", "unix.groupname"}

var cKnownFacts = func() []*C.char {
	out := make([]*C.char, len(KnownFacts))
	for i, f := range KnownFacts {
		out[i] = C.CString(f) // kept for the life of the program
	}
	return out
}()

// entryFrom copies a C entry (borrowed, valid for this call only) into an Entry.
func entryFrom(e *C.ftp_entry) Entry {
	var data *C.uint8_t
	var n C.size_t
	out := Entry{Type: EntryType(C.ftp_entry_type(e)), Size: -1}
	if C.ftp_entry_name_bytes(e, &data, &n) == C.FTP_OK {
		out.Name = string(unsafe.Slice((*byte)(unsafe.Pointer(data)), int(n)))
	} else {
		out.Name = C.GoString(C.ftp_entry_name(e))
	}
	var size C.uint64_t
	if C.ftp_entry_size(e, &size) == C.FTP_OK {
		out.Size = int64(size)
	}
	var mod C.int64_t
	if C.ftp_entry_modified(e, &mod) == C.FTP_OK {
		out.ModTime = time.Unix(int64(mod), 0).UTC()
	}
	for i, name := range cKnownFacts {
		if v := C.ftp_entry_fact(e, name); v != nil {
			if out.Facts == nil {
				out.Facts = make(map[string]string)
			}
			out.Facts[KnownFacts[i]] = C.GoString(v)
		}
	}
	return out
}

// List lists path ("" for the current directory) into parsed entries: MLSD where the server
// offers it, parsed LIST otherwise, without "." and "..", with the retry policy. The listing
// is bounded (WithListingLimits): one over the bounds fails whole with ErrProtocol.
func (c *Conn) List(ctx context.Context, path string) ([]Entry, error) {
	cp, free := cstr(path)
	defer free()
	var list *C.ftp_dir_list
	err := c.do(ctx, "LIST "+path, nil, func(h *C.ftp_client, _ C.uintptr_t) C.ftp_result {
		return C.ftp_dir_list_open(h, cp, &list)
	})
	if err != nil {
		return nil, err
	}
	defer C.ftp_dir_list_free(list)
	n := int(C.ftp_dir_list_count(list))
	out := make([]Entry, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, entryFrom(C.ftp_dir_list_entry(list, C.size_t(i))))
	}
	return out, nil
}

// MLSD lists path with MLSD only (ErrPermanent from servers without it, such as vsftpd),
// including the "cdir"/"pdir" entries the server sends.
func (c *Conn) MLSD(ctx context.Context, path string) ([]Entry, error) {
	return c.collect(ctx, ListMLSD, path)
}

// ListParsed lists path with LIST only, parsing Unix and DOS/IIS formats.
func (c *Conn) ListParsed(ctx context.Context, path string) ([]Entry, error) {
	return c.collect(ctx, ListLIST, path)
}

func (c *Conn) collect(ctx context.Context, f ListFormat, path string) ([]Entry, error) {
	it, err := c.OpenListing(ctx, f, path)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for it.Next() {
		out = append(out, it.Entry())
	}
	if err := it.Err(); err != nil {
		it.Close()
		return nil, err
	}
	return out, it.Close()
}

// Stat returns the facts of one path (MLST; "" for the current directory).
func (c *Conn) Stat(ctx context.Context, path string) (Entry, error) {
	cp, free := cstr(path)
	defer free()
	var e *C.ftp_entry
	err := c.do(ctx, "MLST "+path, nil, func(h *C.ftp_client, _ C.uintptr_t) C.ftp_result {
		return C.ftp_mlst(h, cp, &e)
	})
	if err != nil {
		return Entry{}, err
	}
	defer C.ftp_entry_free(e)
	return entryFrom(e), nil
}

// ListFormat chooses the command of OpenListing.
type ListFormat int

const (
	ListMLSD ListFormat = iota // MLSD: machine-readable facts
	ListLIST                   // LIST, parsed (Unix and DOS/IIS formats)
)

// Listing is a directory listing being received, parsed line by line as it arrives (never
// buffered whole). Use it like sql.Rows:
//
//	it, err := c.OpenListing(ctx, ftpc.ListMLSD, "/pub")
//	if err != nil { ... }
//	defer it.Close()
//	for it.Next() { e := it.Entry(); ... }
//	if err := it.Err(); err != nil { ... }
//
// Until it is closed, other calls on the Conn fail with ErrInvalidState. A line that does not
// parse stops Next with an ErrProtocol error. The listing uses the context it was opened with.
type Listing struct {
	c     *Conn
	ctx   context.Context
	it    *C.ftp_mlsd
	cur   Entry
	err   error
	done  bool
	owner *listingOwner
}

type listingOwner struct{ it *C.ftp_mlsd }

// OpenListing starts a listing of path ("" for the current directory).
func (c *Conn) OpenListing(ctx context.Context, f ListFormat, path string) (*Listing, error) {
	cp, free := cstr(path)
	defer free()
	var it *C.ftp_mlsd
	op := "MLSD "
	if f == ListLIST {
		op = "LIST "
	}
	err := c.do(ctx, op+path, nil, func(h *C.ftp_client, _ C.uintptr_t) C.ftp_result {
		if f == ListLIST {
			return C.ftp_list_open(h, cp, &it)
		}
		return C.ftp_mlsd_open(h, cp, &it)
	})
	if err != nil {
		return nil, err
	}
	l := &Listing{c: c, ctx: ctx, it: it}
	runtime.SetFinalizer(l, func(l *Listing) {
		// Closing talks to the server (it drains or aborts): never on the finalizer goroutine.
		go l.Close()
	})
	return l, nil
}

// Next reads the next entry; false at the end or on an error (see Err).
func (l *Listing) Next() bool {
	var e *C.ftp_entry
	stopped := false
	rc, err := l.c.childDo(l.ctx, "listing", func() C.ftp_result {
		if l.done || l.it == nil {
			stopped = true
			return C.FTP_DONE
		}
		r := C.ftp_mlsd_next(l.it, &e)
		if r == C.FTP_OK {
			l.cur = entryFrom(e) // borrowed until the next call: copy it under the lock
		}
		return r
	})
	if stopped {
		return false
	}
	if err != nil {
		l.err, l.done = err, true
		return false
	}
	if rc == C.FTP_DONE {
		l.done = true
		return false
	}
	return true
}

// Entry is the entry Next read.
func (l *Listing) Entry() Entry { return l.cur }

// Err is the error that stopped Next, if any.
func (l *Listing) Err() error { return l.err }

// Close ends the listing (a short unread rest is drained, a longer one aborted) and frees it;
// the connection stays usable. Calling it again does nothing.
func (l *Listing) Close() error {
	runtime.SetFinalizer(l, nil)
	_, _ = l.c.childDo(context.Background(), "listing close", func() C.ftp_result {
		if l.it != nil {
			C.ftp_mlsd_close(l.it)
			l.it = nil
		}
		return C.FTP_OK
	})
	return nil
}
