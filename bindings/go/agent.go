package ftpc

// #include "glue.h"
import "C"

import (
	"context"
	"os"
	"runtime"
)

// DownloadFile downloads remote to localPath through a partial file beside it
// (".NAME.ftpc-part"), renamed into place only when complete and the size matches. Transient
// failures are retried (SetRetryPolicy), resuming with REST after checking the remote file
// did not change. With Resume, a partial file left by an earlier call is continued.
// Progress (OnProgress) is cumulative.
func (c *Conn) DownloadFile(ctx context.Context, remote, localPath string, opts ...TransferOption) error {
	x := transferOptions(opts)
	cr, freeR := cstr(remote)
	defer freeR()
	cl, freeL := cstr(localPath)
	defer freeL()
	st := &callState{progress: x.progress}
	return c.do(ctx, "download "+remote, st, func(h *C.ftp_client, ud C.uintptr_t) C.ftp_result {
		return C.w_download_file(h, cr, cl, C.bool(x.resume), b2i(x.progress != nil), ud)
	})
}

// DownloadTo downloads remote into the open regular file f (readable and writable; not
// closed), continuing after the bytes it already holds, with DownloadFile's retries.
// Truncate f first for a fresh download.
func (c *Conn) DownloadTo(ctx context.Context, remote string, f *os.File, opts ...TransferOption) error {
	x := transferOptions(opts)
	cr, free := cstr(remote)
	defer free()
	st := &callState{progress: x.progress}
	fd := C.int(f.Fd())
	err := c.do(ctx, "download "+remote, st, func(h *C.ftp_client, ud C.uintptr_t) C.ftp_result {
		return C.w_download_fd(h, cr, fd, b2i(x.progress != nil), ud)
	})
	runtime.KeepAlive(f)
	return err
}

// UploadFile uploads localPath to remote, retrying transient failures by continuing from the
// size the server kept, and checking the remote size at the end. With TemporaryName it
// uploads to ".NAME.ftpc-part" and renames on success.
func (c *Conn) UploadFile(ctx context.Context, localPath, remote string, opts ...TransferOption) error {
	x := transferOptions(opts)
	cr, freeR := cstr(remote)
	defer freeR()
	cl, freeL := cstr(localPath)
	defer freeL()
	st := &callState{progress: x.progress}
	return c.do(ctx, "upload "+remote, st, func(h *C.ftp_client, ud C.uintptr_t) C.ftp_result {
		return C.w_upload_file(h, cl, cr, C.bool(x.tempName), b2i(x.progress != nil), ud)
	})
}

// UploadFrom uploads the whole open regular file f (from its start; not closed) to remote,
// with UploadFile's retries.
func (c *Conn) UploadFrom(ctx context.Context, f *os.File, remote string, opts ...TransferOption) error {
	x := transferOptions(opts)
	cr, free := cstr(remote)
	defer free()
	st := &callState{progress: x.progress}
	fd := C.int(f.Fd())
	err := c.do(ctx, "upload "+remote, st, func(h *C.ftp_client, ud C.uintptr_t) C.ftp_result {
		return C.w_upload_fd(h, fd, cr, b2i(x.progress != nil), ud)
	})
	runtime.KeepAlive(f)
	return err
}

// EnsureDirectory creates each missing directory of path (mkdir -p); a directory that exists,
// or that another client creates at the same time, is success.
func (c *Conn) EnsureDirectory(ctx context.Context, path string) error {
	return c.pathCall(ctx, "ensure directory", path, func(h *C.ftp_client, p *C.char) C.ftp_result {
		return C.ftp_ensure_directory(h, p)
	})
}

// SyncAction is what Sync or Mirror did with one path.
type SyncAction int32

const (
	SyncUploaded         SyncAction = C.FTP_SYNC_UPLOADED
	SyncDownloaded       SyncAction = C.FTP_SYNC_DOWNLOADED
	SyncSkipped          SyncAction = C.FTP_SYNC_SKIPPED // up to date, or skipped (Message says why)
	SyncDeleted          SyncAction = C.FTP_SYNC_DELETED
	SyncCreatedDirectory SyncAction = C.FTP_SYNC_CREATED_DIRECTORY
	SyncFailed           SyncAction = C.FTP_SYNC_FAILED // this path failed; the others go on
)

func (a SyncAction) String() string {
	switch a {
	case SyncUploaded:
		return "uploaded"
	case SyncDownloaded:
		return "downloaded"
	case SyncSkipped:
		return "skipped"
	case SyncDeleted:
		return "deleted"
	case SyncCreatedDirectory:
		return "created directory"
	case SyncFailed:
		return "failed"
	}
	return "unknown"
}

// SyncEvent is told for every path Sync or Mirror handles. Path and Message may hold server
// text (untrusted).
type SyncEvent struct {
	Action     SyncAction
	Path       string // relative to the synced directories
	Bytes      int64  // bytes transferred for this path
	FilesDone  int64  // files handled so far
	FilesTotal int64  // files in all
	Err        *Error // for SyncFailed: the path's error (class and message)
	Message    string // for SyncSkipped: why, when not simply up to date
}

// SyncOption tunes Sync and Mirror.
type SyncOption func(*syncConfig)

type syncConfig struct {
	del, dry bool
	fn       func(SyncEvent) error
}

// DeleteExtra removes from the destination what the source does not hold.
func DeleteExtra() SyncOption { return func(s *syncConfig) { s.del = true } }

// DryRun reports the plan through OnSyncEvent and changes nothing.
func DryRun() SyncOption { return func(s *syncConfig) { s.dry = true } }

// OnSyncEvent is told of every path; returning an error stops the sync (ErrAborted wrapping it).
func OnSyncEvent(fn func(SyncEvent) error) SyncOption { return func(s *syncConfig) { s.fn = fn } }

// Sync makes remoteDir hold what localDir holds, recursively: creates directories, uploads
// files missing or different in size or time, and with DeleteExtra removes remote files and
// directories not present locally. Local symbolic links are never followed. A failed path
// does not stop the others; the call then returns the first failure, its message counting
// them.
func (c *Conn) Sync(ctx context.Context, localDir, remoteDir string, opts ...SyncOption) error {
	return c.syncCall(ctx, false, localDir, remoteDir, opts)
}

// Mirror is the reverse of Sync: it makes localDir hold what remoteDir holds. Names from the
// server that are not one plain path component are refused (SyncFailed), never written; local
// symbolic links are never followed or written through.
func (c *Conn) Mirror(ctx context.Context, remoteDir, localDir string, opts ...SyncOption) error {
	return c.syncCall(ctx, true, remoteDir, localDir, opts)
}

func (c *Conn) syncCall(ctx context.Context, mirror bool, from, to string, opts []SyncOption) error {
	sc := &syncConfig{}
	for _, o := range opts {
		o(sc)
	}
	cf, freeF := cstr(from)
	defer freeF()
	ct, freeT := cstr(to)
	defer freeT()
	st := &callState{sync: sc.fn}
	op := "sync " + from
	if mirror {
		op = "mirror " + from
	}
	return c.do(ctx, op, st, func(h *C.ftp_client, ud C.uintptr_t) C.ftp_result {
		if mirror {
			return C.w_mirror(h, cf, ct, C.bool(sc.del), C.bool(sc.dry), b2i(sc.fn != nil), ud)
		}
		return C.w_sync(h, cf, ct, C.bool(sc.del), C.bool(sc.dry), b2i(sc.fn != nil), ud)
	})
}
