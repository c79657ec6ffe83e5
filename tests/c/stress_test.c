/*
 * Stress: THREADS threads, each with its own handle, TRANSFERS round trips each (upload then
 * download, compared byte for byte). Threads with id % 4 == 3 also provoke a 550 every fifth
 * round and check that the error message belongs to their own thread and handle.
 *
 *   stress_test HOST PORT USER PASSWORD TLS(0|1) CA_FILE THREADS TRANSFERS
 *
 * File t<T>-<I>.bin holds SIZE(T, I) bytes of BYTE(T, I, j); tests/stress.rs checks their
 * SHA-256 on the server afterwards with the same formulas.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ftpc.h>

#define SIZE(t, i) (1000u + ((unsigned)(t) * 7919u + (unsigned)(i) * 104729u) % 60000u)
#define BYTE(t, i, j) ((unsigned char)(((j) * 31u + (unsigned)(t) * 7u + (unsigned)(i) * 13u) & 0xffu))

static const char *host, *user, *password, *ca_file;
static uint16_t port;
static int use_tls, transfers;

struct job {
    int id;
    int passed, failed;
    char why[256];
};

struct buf {
    unsigned char *data;
    size_t len, cap, pos;
};

static int sink(void *userdata, const uint8_t *data, size_t len) {
    struct buf *b = userdata;
    if (b->len + len > b->cap) {
        return 1;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

static int source(void *userdata, uint8_t *out, size_t cap, size_t *out_len) {
    struct buf *b = userdata;
    size_t n = b->len - b->pos < cap ? b->len - b->pos : cap;
    memcpy(out, b->data + b->pos, n);
    b->pos += n;
    *out_len = n;
    return 0;
}

static void fail(struct job *job, const char *what) {
    job->failed++;
    if (job->why[0] == '\0') {
        snprintf(job->why, sizeof job->why, "thread %d: %s: %s", job->id, what,
                 ftp_last_error_message());
    }
}

static void *run(void *arg) {
    struct job *job = arg;
    ftp_options *opts = ftp_options_new();
    ftp_options_set_timeout_ms(opts, 30000);
    if (use_tls) {
        ftp_options_set_tls(opts, FTP_TLS_ALL);
        ftp_options_set_tls_ca_file(opts, ca_file);
    }
    ftp_client *ftp = NULL;
    if (ftp_connect(host, port, opts, &ftp) != FTP_OK || ftp_login(ftp, user, password, "") != FTP_OK) {
        fail(job, "connect");
        ftp_options_free(opts);
        ftp_close(ftp);
        return NULL;
    }
    ftp_options_free(opts);
    struct buf up = {malloc(70000), 0, 70000, 0}, down = {malloc(70000), 0, 70000, 0};
    for (int i = 0; i < transfers; i++) {
        char name[64];
        snprintf(name, sizeof name, "t%d-%d.bin", job->id, i);
        up.len = SIZE(job->id, i);
        up.pos = 0;
        for (size_t j = 0; j < up.len; j++) {
            up.data[j] = BYTE(job->id, i, j);
        }
        if (ftp_stor(ftp, name, 0, (int64_t)up.len, source, NULL, &up) != FTP_OK) {
            fail(job, "upload");
            continue;
        }
        down.len = 0;
        if (ftp_retr(ftp, name, 0, sink, NULL, &down) != FTP_OK) {
            fail(job, "download");
            continue;
        }
        if (down.len != up.len || memcmp(down.data, up.data, up.len) != 0) {
            fail(job, "bytes differ");
            continue;
        }
        job->passed++;
        if (job->id % 4 == 3 && i % 5 == 0) {
            char missing[64];
            snprintf(missing, sizeof missing, "missing-from-thread-%d-round-%d", job->id, i);
            uint64_t size = 0;
            ftp_result rc = ftp_size(ftp, missing, &size);
            if (rc != FTP_ERR_PERMANENT || ftp_last_reply_code() != 550 ||
                strstr(ftp_last_error_message(), missing) == NULL ||
                strstr(ftp_errmsg(ftp), missing) == NULL) {
                fail(job, "error message does not belong to this thread");
            } else {
                job->passed++;
            }
        }
    }
    free(up.data);
    free(down.data);
    ftp_close(ftp);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 9) {
        fprintf(stderr, "usage: %s HOST PORT USER PASSWORD TLS CA_FILE THREADS TRANSFERS\n", argv[0]);
        return 2;
    }
    host = argv[1];
    port = (uint16_t)atoi(argv[2]);
    user = argv[3];
    password = argv[4];
    use_tls = atoi(argv[5]);
    ca_file = argv[6];
    int threads = atoi(argv[7]);
    transfers = atoi(argv[8]);
    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    struct job *jobs = calloc((size_t)threads, sizeof *jobs);
    for (int t = 0; t < threads; t++) {
        jobs[t].id = t;
        pthread_create(&ids[t], NULL, run, &jobs[t]);
    }
    int passed = 0, failed = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        passed += jobs[t].passed;
        failed += jobs[t].failed;
        if (jobs[t].why[0] != '\0') {
            fprintf(stderr, "%s\n", jobs[t].why);
        }
    }
    free(ids);
    free(jobs);
    printf("stress: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
