/*
 * The pool through the C API (ftp_pool_*), run by tests/pool.rs against pyftpdlib:
 *   pool_test HOST PORT USER PASSWORD WORKDIR
 * The server has f0.bin .. f5.bin (f<i> is i * 1000 + 1 bytes) and big.bin (3 MiB + 1).
 * Prints one line per check; exits non-zero on the first failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ftpc.h>

#define CHECK(cond, ...)                                                                     \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "FAILED line %d: ", __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                    \
            fprintf(stderr, "\n  last error: %s\n", ftp_last_error_message());               \
            exit(1);                                                                         \
        }                                                                                    \
    } while (0)

static long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

struct nested {
    ftp_pool *pool;
    ftp_result inner;
    int calls;
    uint64_t last_bytes;
    int went_back;
};

/* Calls back into the pool (refused with FTP_ERR_BUSY), then stops the batch. */
static int reenter(void *userdata, uint64_t files_done, uint64_t files_total, uint64_t bytes,
                   uint64_t known) {
    struct nested *n = userdata;
    (void)files_done;
    (void)files_total;
    (void)known;
    n->calls++;
    n->inner = ftp_pool_download_segmented(n->pool, "big.bin", "x", 0, NULL, NULL, NULL);
    n->last_bytes = bytes;
    return 1;
}

/* Counts progress and checks it never goes back. */
static int count(void *userdata, uint64_t files_done, uint64_t files_total, uint64_t bytes,
                 uint64_t known) {
    struct nested *n = userdata;
    (void)files_done;
    (void)files_total;
    (void)known;
    if (bytes < n->last_bytes) {
        n->went_back = 1;
    }
    n->last_bytes = bytes;
    n->calls++;
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: pool_test HOST PORT USER PASSWORD WORKDIR\n");
        return 2;
    }
    const char *host = argv[1];
    uint16_t port = (uint16_t)atoi(argv[2]);
    const char *dir = argv[5];
    ftp_pool *pool = NULL;

    CHECK(ftp_pool_new(NULL, port, NULL, argv[3], argv[4], &pool) == FTP_ERR_INVALID_ARGUMENT,
          "NULL host");
    CHECK(strstr(ftp_last_error_message(), "host") != NULL, "message names the argument");
    CHECK(pool == NULL, "out untouched on failure");
    CHECK(ftp_pool_new(host, port, NULL, argv[3], argv[4], &pool) == FTP_OK, "ftp_pool_new");
    CHECK(ftp_pool_set_max_sessions(pool, 0) == FTP_ERR_INVALID_ARGUMENT, "a limit of 0");
    CHECK(ftp_pool_errcode(pool) == FTP_ERR_INVALID_ARGUMENT, "kept on the handle");
    CHECK(ftp_pool_set_max_sessions(pool, 4) == FTP_OK, "set_max_sessions");
    CHECK(ftp_pool_errcode(pool) == FTP_OK && ftp_pool_errmsg(pool)[0] == '\0', "cleared");
    CHECK(ftp_pool_cancel(pool) == FTP_DONE, "cancel with nothing running");
    puts("handle: ok");

    /* Six files and a missing one: per-file results, the first error returned. */
    enum { N = 7 };
    const char *remote[N];
    const char *local[N];
    char names[N][64], paths[N][512];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], i < 6 ? "f%d.bin" : "missing%d.bin", i);
        snprintf(paths[i], sizeof paths[i], "%s/got%d.bin", dir, i);
        remote[i] = names[i];
        local[i] = paths[i];
    }
    ftp_result results[N];
    struct nested progress = {pool, 0, 0, 0, 0};
    ftp_result rc = ftp_pool_download_files(pool, remote, local, N, 4, 0, count, &progress,
                                            results);
    CHECK(rc == FTP_ERR_PERMANENT, "batch with a missing file: %d", rc);
    CHECK(ftp_pool_errcode(pool) == FTP_ERR_PERMANENT, "on the handle");
    CHECK(ftp_pool_errreply(pool) == 550, "reply code %d", ftp_pool_errreply(pool));
    CHECK(strstr(ftp_pool_errmsg(pool), "1 of 7") != NULL, "%s", ftp_pool_errmsg(pool));
    for (int i = 0; i < 6; i++) {
        CHECK(results[i] == FTP_OK, "file %d: %d", i, results[i]);
        CHECK(file_size(paths[i]) == i * 1000 + 1, "size of file %d", i);
    }
    CHECK(results[6] == FTP_ERR_PERMANENT, "missing file: %d", results[6]);
    CHECK(progress.calls > 0 && !progress.went_back, "progress adds up");
    CHECK(progress.last_bytes == 1 + 1001 + 2001 + 3001 + 4001 + 5001, "bytes %llu",
          (unsigned long long)progress.last_bytes);
    puts("download_files: ok");

    /* Back up under new names, through temporary names. */
    char up[6][64];
    const char *up_remote[6];
    for (int i = 0; i < 6; i++) {
        snprintf(up[i], sizeof up[i], "up%d.bin", i);
        up_remote[i] = up[i];
    }
    rc = ftp_pool_upload_files(pool, up_remote, local, 6, 0, FTP_POOL_TEMPORARY_NAME, NULL, NULL,
                               results);
    CHECK(rc == FTP_OK, "upload_files: %d", rc);
    puts("upload_files: ok");

    char big[512];
    snprintf(big, sizeof big, "%s/big.bin", dir);
    uint32_t connections = 0;
    rc = ftp_pool_download_segmented(pool, "big.bin", big, 4, NULL, NULL, &connections);
    CHECK(rc == FTP_OK, "segmented: %d", rc);
    CHECK(file_size(big) == 3 * 1024 * 1024 + 1, "segmented size %ld", file_size(big));
    CHECK(connections >= 2 && connections <= 4, "connections %u", (unsigned)connections);
    printf("download_segmented: ok (%u connections)\n", (unsigned)connections);

    /* A callback that calls into its own pool gets FTP_ERR_BUSY; non-zero stops the batch. */
    struct nested nested = {pool, 0, 0, 0, 0};
    rc = ftp_pool_download_files(pool, remote, local, 6, 2, 0, reenter, &nested, results);
    CHECK(nested.calls >= 1 && nested.inner == FTP_ERR_BUSY, "inner call: %d", nested.inner);
    CHECK(rc == FTP_ERR_ABORTED, "stopped batch: %d", rc);
    puts("callbacks: ok");

    ftp_pool_free(pool);
    ftp_pool_free(NULL);
    puts("all ok");
    return 0;
}
