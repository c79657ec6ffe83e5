// The C side of the Go binding: trampolines that turn the library's callbacks into calls of
// the Go functions exported in export.go, and wrappers that pass a cgo.Handle number as the
// callbacks' userdata. C never keeps a Go pointer.

#include "glue.h"
#include "_cgo_export.h"


static int t_write(void *ud, const uint8_t *data, size_t len) {
	return ftpcGoWrite((uintptr_t)ud, (uint8_t *)data, len);
}
static int t_read(void *ud, uint8_t *buffer, size_t capacity, size_t *out_len) {
	return ftpcGoRead((uintptr_t)ud, buffer, capacity, out_len);
}
static int t_progress(void *ud, uint64_t transferred, int64_t total) {
	return ftpcGoProgress((uintptr_t)ud, transferred, total);
}
static int t_line(void *ud, const char *line, size_t len) {
	return ftpcGoLine((uintptr_t)ud, (char *)line, len);
}
static int t_sync(void *ud, int32_t action, const char *path, uint64_t bytes,
                  uint64_t files_done, uint64_t files_total, ftp_result error,
                  const char *message) {
	return ftpcGoSync((uintptr_t)ud, action, (char *)path, bytes, files_done, files_total,
	                  error, (char *)message);
}
static int t_retry(void *ud, uint32_t attempt, ftp_result error, int reply_code,
                   const char *message, uint32_t delay_ms) {
	return ftpcGoRetry((uintptr_t)ud, attempt, error, reply_code, (char *)message, delay_ms);
}

#define PROG(p) ((p) ? t_progress : NULL)

ftp_result w_retr(ftp_client *f, const char *path, uint64_t offset, int prog, uintptr_t ud) {
	return ftp_retr(f, path, offset, t_write, PROG(prog), (void *)ud);
}
ftp_result w_stor(ftp_client *f, const char *path, uint64_t offset, int64_t total, int prog,
                         uintptr_t ud) {
	return ftp_stor(f, path, offset, total, t_read, PROG(prog), (void *)ud);
}
ftp_result w_appe(ftp_client *f, const char *path, uint64_t offset, int64_t total, int prog,
                         uintptr_t ud) {
	return ftp_appe(f, path, offset, total, t_read, PROG(prog), (void *)ud);
}
ftp_result w_retr_lines(ftp_client *f, const char *command, uintptr_t ud) {
	return ftp_retr_lines(f, command, t_line, (void *)ud);
}
ftp_result w_stor_lines(ftp_client *f, const char *path, uintptr_t ud) {
	return ftp_stor_lines(f, path, t_read, (void *)ud);
}
ftp_result w_list(ftp_client *f, const char *path, uintptr_t ud) {
	return ftp_list(f, path, t_line, (void *)ud);
}
ftp_result w_nlst(ftp_client *f, const char *path, uintptr_t ud) {
	return ftp_nlst(f, path, t_line, (void *)ud);
}
ftp_result w_retr_file(ftp_client *f, const char *remote, const char *local, bool resume,
                              int prog, uintptr_t ud) {
	return ftp_retr_file(f, remote, local, resume, PROG(prog), (void *)ud);
}
ftp_result w_stor_file(ftp_client *f, const char *local, const char *remote, int prog,
                              uintptr_t ud) {
	return ftp_stor_file(f, local, remote, PROG(prog), (void *)ud);
}
ftp_result w_download_file(ftp_client *f, const char *remote, const char *local,
                                  bool resume, int prog, uintptr_t ud) {
	return ftp_download_file(f, remote, local, resume, PROG(prog), (void *)ud);
}
ftp_result w_download_fd(ftp_client *f, const char *remote, int fd, int prog, uintptr_t ud) {
	return ftp_download_fd(f, remote, fd, PROG(prog), (void *)ud);
}
ftp_result w_upload_file(ftp_client *f, const char *local, const char *remote, bool tmp,
                                int prog, uintptr_t ud) {
	return ftp_upload_file(f, local, remote, tmp, PROG(prog), (void *)ud);
}
ftp_result w_upload_fd(ftp_client *f, int fd, const char *remote, int prog, uintptr_t ud) {
	return ftp_upload_fd(f, fd, remote, PROG(prog), (void *)ud);
}
ftp_result w_sync(ftp_client *f, const char *local, const char *remote, bool del, bool dry,
                         int cb, uintptr_t ud) {
	return ftp_sync_directory(f, local, remote, del, dry, cb ? t_sync : NULL, (void *)ud);
}
ftp_result w_mirror(ftp_client *f, const char *remote, const char *local, bool del,
                           bool dry, int cb, uintptr_t ud) {
	return ftp_mirror_directory(f, remote, local, del, dry, cb ? t_sync : NULL, (void *)ud);
}
ftp_result w_set_retry_callback(ftp_client *f, uintptr_t ud) {
	return ftp_set_retry_callback(f, ud ? t_retry : NULL, (void *)ud);
}
