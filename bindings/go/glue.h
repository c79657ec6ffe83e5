// Declarations of glue.c, for the Go files' preambles.
#ifndef FTPC_GO_GLUE_H
#define FTPC_GO_GLUE_H
#include <stdlib.h>
#include <stdint.h>
#include <stdbool.h>
#include <ftpc.h>

ftp_result w_retr(ftp_client *f, const char *path, uint64_t offset, int prog, uintptr_t ud);
ftp_result w_stor(ftp_client *f, const char *path, uint64_t offset, int64_t total, int prog, uintptr_t ud);
ftp_result w_appe(ftp_client *f, const char *path, uint64_t offset, int64_t total, int prog, uintptr_t ud);
ftp_result w_retr_lines(ftp_client *f, const char *command, uintptr_t ud);
ftp_result w_stor_lines(ftp_client *f, const char *path, uintptr_t ud);
ftp_result w_list(ftp_client *f, const char *path, uintptr_t ud);
ftp_result w_nlst(ftp_client *f, const char *path, uintptr_t ud);
ftp_result w_retr_file(ftp_client *f, const char *remote, const char *local, bool resume, int prog, uintptr_t ud);
ftp_result w_stor_file(ftp_client *f, const char *local, const char *remote, int prog, uintptr_t ud);
ftp_result w_download_file(ftp_client *f, const char *remote, const char *local, bool resume, int prog, uintptr_t ud);
ftp_result w_download_fd(ftp_client *f, const char *remote, int fd, int prog, uintptr_t ud);
ftp_result w_upload_file(ftp_client *f, const char *local, const char *remote, bool tmp, int prog, uintptr_t ud);
ftp_result w_upload_fd(ftp_client *f, int fd, const char *remote, int prog, uintptr_t ud);
ftp_result w_sync(ftp_client *f, const char *local, const char *remote, bool del, bool dry, int cb, uintptr_t ud);
ftp_result w_mirror(ftp_client *f, const char *remote, const char *local, bool del, bool dry, int cb, uintptr_t ud);
ftp_result w_set_retry_callback(ftp_client *f, uintptr_t ud);

#endif
