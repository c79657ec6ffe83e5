/*
 * Runs one operation against a (scripted, misbehaving) server through the public C API and
 * prints its result: "rc=<ftp_result> reply=<code> msg=<message>". tests/c_faults.rs starts
 * the server for each case and checks the line and the commands the server received.
 *
 *   fault_client PORT OPERATION [CA_FILE | LOCAL_PATH]
 *
 * OPERATION: login, retr_pasv, retr_epsv, retr_tls (implicit TLS, needs CA_FILE), inject,
 * stor_tls (an endless upload, implicit TLS), quit_tls (QUIT by ftp_quote, then ftp_close),
 * stor_short (announces 1024 bytes, its source ends after 500), data_short (reads 500 bytes
 * of a RETR through the raw data stream, then closes it), login_secret (logs in with the
 * password hunter2-secret; prints the handle's message too), connect_retry (options carry a
 * retry policy of 3 attempts, 50 ms apart; connects and logs in), data_stall (reads a raw
 * RETR stream whose server stalls; prints the handle's error code, failure reply code and
 * last reply code too),
 * dir_list_bound (ftp_dir_list_open with at most 3 entries), mirror_deep (ftp_mirror_directory
 * of "" into LOCAL_PATH, at most 8 levels deep), download_file (ftp_download_file of "x" to
 * LOCAL_PATH), cancel_retr (60 s timeouts; a RETR that another thread stops with ftp_cancel
 * after 300 ms, then ftp_cancel with no call running, then ftp_pwd; prints the cancel
 * results, the milliseconds the RETR took and PWD's result after the message), stor_fd
 * (ftp_stor_fd of the file LOCAL_PATH, with ftp_options_set_zero_copy_upload on), stor_fd_sigign
 * (the same with SIGPIPE ignored, so the library sends it with sendfile(2)), download_fd (ftp_retr_fd into LOCAL_PATH).
 *
 * SIGPIPE keeps its default action here on purpose: a write that raised it would kill this
 * program (exit by signal), which the tests check for.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ftpc.h>

static int discard(void *userdata, const uint8_t *data, size_t len) {
    (void)userdata;
    (void)data;
    (void)len;
    return 0;
}

/* Endless data: the upload ends only when the transfer fails. */
static int endless(void *userdata, uint8_t *buffer, size_t capacity, size_t *out_len) {
    (void)userdata;
    memset(buffer, 'x', capacity);
    *out_len = capacity;
    return 0;
}

/* 500 bytes, then the end of the data (a source that gave up early). */
static int short_source(void *userdata, uint8_t *buffer, size_t capacity, size_t *out_len) {
    size_t *left = userdata;
    size_t n = *left < capacity ? *left : capacity;
    memset(buffer, 'y', n);
    *left -= n;
    *out_len = n;
    return 0;
}

static ftp_result read_500_then_close(ftp_client *ftp) {
    ftp_data *data = NULL;
    ftp_result rc = ftp_data_open(ftp, "RETR file.bin", 0, &data);
    if (rc != FTP_OK) {
        return rc;
    }
    uint8_t buf[100];
    size_t got = 0;
    while (got < 500) {
        size_t n = 0;
        rc = ftp_data_read(data, buf, sizeof buf, &n);
        if (rc != FTP_OK || n == 0) {
            break;
        }
        got += n;
    }
    ftp_result closed = ftp_data_close(data);
    return rc != FTP_OK ? rc : closed;
}

struct canceller {
    ftp_client *ftp;
    ftp_result result;
};

static void *cancel_soon(void *arg) {
    struct canceller *c = arg;
    struct timespec pause = {0, 300 * 1000 * 1000};
    nanosleep(&pause, NULL);
    c->result = ftp_cancel(c->ftp);
    return NULL;
}

static long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* RETR stopped by ftp_cancel from another thread; returns the RETR's result. */
static ftp_result cancel_retr(ftp_client *ftp, char *extra, size_t extra_len) {
    struct canceller c = {ftp, 99};
    pthread_t thread;
    if (pthread_create(&thread, NULL, cancel_soon, &c) != 0) {
        return FTP_ERR_IO;
    }
    long started = now_ms();
    ftp_result rc = ftp_retr(ftp, "file.bin", 0, discard, NULL, NULL);
    long took = now_ms() - started;
    pthread_join(thread, NULL);
    ftp_result idle = ftp_cancel(ftp);
    char *dir = NULL;
    ftp_result pwd = ftp_pwd(ftp, &dir);
    snprintf(extra, extra_len, " cancel=%d idle_cancel=%d took_ms=%ld pwd=%d dir=%s", c.result,
             idle, took, pwd, dir != NULL ? dir : "(none)");
    ftp_string_free(dir);
    return rc;
}

static int is_tls_op(const char *op) {
    size_t len = strlen(op);
    return len > 4 && strcmp(op + len - 4, "_tls") == 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s PORT OPERATION [CA_FILE]\n", argv[0]);
        return 2;
    }
    uint16_t port = (uint16_t)atoi(argv[1]);
    const char *op = argv[2];
    ftp_options *opts = ftp_options_new();
    ftp_options_set_timeout_ms(opts, 3000);
    ftp_options_set_reply_timeout_ms(opts, 600);
    ftp_options_set_data_idle_timeout_ms(opts, 600);
    if (strncmp(op, "stor_fd", 7) == 0) {
        /* sendfile(2) when SIGPIPE is ignored (stor_fd_sigign), the copy otherwise. */
        ftp_options_set_zero_copy_upload(opts, true);
    }
    if (strcmp(op, "cancel_retr") == 0) {
        ftp_options_set_timeout_ms(opts, 60000);
    }
    char extra[512] = "";
    if (strcmp(op, "retr_pasv") == 0) {
        ftp_options_set_passive_mode(opts, FTP_PASSIVE_PASV);
    }
    if (strcmp(op, "connect_retry") == 0) {
        ftp_options_set_retry_policy(opts, 3, 50, 100, 50, 0);
    }
    if (ftp_options_set_max_listing_entries(opts, 0) != FTP_ERR_INVALID_ARGUMENT ||
        ftp_options_set_max_tree_depth(opts, 0) != FTP_ERR_INVALID_ARGUMENT) {
        fprintf(stderr, "a bound of 0 was accepted\n");
        return 1;
    }
    if (strcmp(op, "dir_list_bound") == 0) {
        ftp_options_set_max_listing_entries(opts, 3);
    }
    if (strcmp(op, "mirror_deep") == 0) {
        ftp_options_set_max_tree_depth(opts, 8);
    }
    if (is_tls_op(op)) {
        ftp_options_set_tls(opts, FTP_TLS_IMPLICIT);
        ftp_options_set_tls_ca_file(opts, argc > 3 ? argv[3] : "");
    }
    ftp_client *ftp = NULL;
    ftp_result rc = ftp_connect("127.0.0.1", port, opts, &ftp);
    ftp_options_free(opts);
    if (rc == FTP_OK) {
        if (strcmp(op, "inject") == 0) {
            rc = ftp_login(ftp, "user\r\nDELE important", "pw", "");
            if (rc == FTP_ERR_INVALID_ARGUMENT) {
                ftp_result again = ftp_login(ftp, "u", "p", "");
                ftp_result cwd = again == FTP_OK ? ftp_cwd(ftp, "dir\nRMD /") : again;
                rc = cwd == FTP_ERR_INVALID_ARGUMENT ? FTP_ERR_INVALID_ARGUMENT : cwd;
            }
        } else {
            const char *password = strcmp(op, "login_secret") == 0 ? "hunter2-secret" : "p";
            rc = ftp_login(ftp, "u", password, "");
            if (rc == FTP_OK && strcmp(op, "cancel_retr") == 0) {
                rc = cancel_retr(ftp, extra, sizeof extra);
            }
            if (rc == FTP_OK && strncmp(op, "retr", 4) == 0) {
                rc = ftp_retr(ftp, "file.bin", 0, discard, NULL, NULL);
            }
            if (rc == FTP_OK && strcmp(op, "stor_tls") == 0) {
                rc = ftp_stor(ftp, "file.bin", 0, -1, endless, NULL, NULL);
            }
            if (rc == FTP_OK && strcmp(op, "stor_short") == 0) {
                size_t left = 500;
                rc = ftp_stor(ftp, "file.bin", 0, 1024, short_source, NULL, &left);
            }
            if (rc == FTP_OK && strcmp(op, "data_stall") == 0) {
                ftp_data *data = NULL;
                rc = ftp_data_open(ftp, "RETR file.bin", 0, &data);
                uint8_t buf[64];
                size_t n = 0;
                if (rc == FTP_OK) {
                    rc = ftp_data_read(data, buf, sizeof buf, &n);
                }
                printf("handle_code=%d handle_reply=%d last_reply=%d handle_msg=%s\n",
                       ftp_errcode(ftp), ftp_errreply(ftp), ftp_reply_code(ftp), ftp_errmsg(ftp));
                ftp_data_abort(data);
            }
            if (rc == FTP_OK && strcmp(op, "data_short") == 0) {
                rc = read_500_then_close(ftp);
            }
            const char *local = argc > 3 ? argv[3] : "";
            if (rc == FTP_OK && strcmp(op, "dir_list_bound") == 0) {
                ftp_dir_list *list = NULL;
                rc = ftp_dir_list_open(ftp, "", &list);
                if (rc != FTP_OK && list != NULL) {
                    fprintf(stderr, "*out written on failure\n");
                    return 1;
                }
                ftp_dir_list_free(list);
            }
            if (rc == FTP_OK && strcmp(op, "mirror_deep") == 0) {
                rc = ftp_mirror_directory(ftp, "", local, true, false, NULL, NULL);
            }
            if (rc == FTP_OK && strncmp(op, "stor_fd", 7) == 0) {
                if (strcmp(op, "stor_fd_sigign") == 0) {
                    signal(SIGPIPE, SIG_IGN);
                }
                int fd = open(local, O_RDONLY);
                rc = ftp_stor_fd(ftp, fd, "file.bin", -1, NULL, NULL);
                close(fd);
            }
            if (rc == FTP_OK && strcmp(op, "download_fd") == 0) {
                int fd = open(local, O_WRONLY | O_CREAT | O_TRUNC, 0600);
                rc = ftp_retr_fd(ftp, "file.bin", fd, NULL, NULL);
                close(fd);
            }
            if (rc == FTP_OK && strcmp(op, "download_file") == 0) {
                rc = ftp_download_file(ftp, "x", local, false, NULL, NULL);
            }
            if (rc == FTP_OK && strcmp(op, "quit_tls") == 0) {
                int code = 0;
                char *text = NULL;
                rc = ftp_quote(ftp, "QUIT", &code, &text);
                ftp_string_free(text);
            }
        }
    }
    printf("rc=%d reply=%d msg=%s", rc, ftp_last_reply_code(), ftp_last_error_message());
    printf("%s", extra);
    if (ftp != NULL && strcmp(op, "login_secret") == 0) {
        printf(" handle=%s", ftp_errmsg(ftp));
    }
    printf("\n");
    ftp_close(ftp);
    return 0;
}
