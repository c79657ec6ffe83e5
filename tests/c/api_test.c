/*
 * Tests of the C surface against a real server: NULL for every pointer argument, callbacks
 * that stop transfers, re-entrant calls, per-thread and per-handle errors from two threads,
 * iterators closed early, handles freed in any order, versions.
 *
 *   api_test HOST PORT USER PASSWORD [SERVER]
 *
 * SERVER (pyftpdlib, vsftpd, proftpd, pureftpd) names the server where its replies differ:
 * Pure-FTPd reports MKD's path relative to the current directory.
 *
 * Prints one line per failed check and a closing "N passed, N failed" line; exits non-zero
 * on any failure. Built with -Wall -Wextra -Wpedantic -Werror and run under AddressSanitizer
 * and valgrind by tests/c_api.rs.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ftpc.h>

static int passed, failed;
static const char *host, *user, *password, *server = "";
static uint16_t port;

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (cond) {                                                                        \
            passed++;                                                                      \
        } else {                                                                           \
            failed++;                                                                      \
            fprintf(stderr, "%s:%d: check failed: %s\n  last error: %s\n", __FILE__,       \
                    __LINE__, #cond, ftp_last_error_message());                            \
        }                                                                                  \
    } while (0)

/* The call fails with FTP_ERR_INVALID_ARGUMENT and its message names the argument. */
#define CHECK_NULL(call, arg)                                                              \
    do {                                                                                   \
        ftp_result rc_ = (call);                                                           \
        CHECK(rc_ == FTP_ERR_INVALID_ARGUMENT);                                            \
        CHECK(strstr(ftp_last_error_message(), "`" arg "`") != NULL);                      \
    } while (0)

static ftp_client *connect_and_login(void) {
    ftp_options *opts = ftp_options_new();
    ftp_options_set_timeout_ms(opts, 20000);
    /* Exercised on every session of these tests: replies to keepalive NOOPs are accounted. */
    ftp_options_set_keepalive_ms(opts, 1);
    ftp_client *ftp = NULL;
    ftp_result rc = ftp_connect(host, port, opts, &ftp);
    ftp_options_free(opts);
    if (rc != FTP_OK) {
        fprintf(stderr, "connect failed: %s\n", ftp_last_error_message());
        exit(1);
    }
    if (ftp_login(ftp, user, password, NULL) != FTP_OK) { /* NULL: no account */
        fprintf(stderr, "login failed: %s\n", ftp_last_error_message());
        exit(1);
    }
    return ftp;
}

/* ---- callbacks ------------------------------------------------------------------------ */

struct buffer {
    unsigned char *data;
    size_t len, cap, read_pos;
    int stop_after;   /* stop on this call (0: never) */
    int calls;
    int stop_progress_at; /* the progress callback stops on this call (0: never) */
    int progress_calls;
    ftp_client *ftp;  /* for re-entrant calls */
    ftp_result reentrant_rc;
    /* What the handle's getters answered from inside the callback. */
    ftp_result seen_errcode;
    int seen_reply_code;
    int seen_welcome;
    ftp_result quit_rc;
};

static int collect(void *userdata, const uint8_t *data, size_t len) {
    struct buffer *b = userdata;
    b->calls++;
    if (b->ftp != NULL) {
        b->reentrant_rc = ftp_noop(b->ftp);
        b->seen_errcode = ftp_errcode(b->ftp);
        b->seen_reply_code = ftp_reply_code(b->ftp);
        b->seen_welcome = ftp_welcome(b->ftp)[0] != '\0';
        /* Ending the handle from inside its own callback changes nothing. */
        b->quit_rc = ftp_quit(b->ftp);
        ftp_free(b->ftp);
        ftp_close(b->ftp);
    }
    if (b->stop_after != 0 && b->calls >= b->stop_after) {
        return 1;
    }
    if (b->len + len > b->cap) {
        size_t cap = (b->len + len) * 2;
        unsigned char *grown = realloc(b->data, cap);
        if (grown == NULL) {
            return 1;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

static int produce(void *userdata, uint8_t *out, size_t capacity, size_t *out_len) {
    struct buffer *b = userdata;
    b->calls++;
    if (b->stop_after != 0 && b->calls >= b->stop_after) {
        return 1;
    }
    size_t n = b->len - b->read_pos < capacity ? b->len - b->read_pos : capacity;
    memcpy(out, b->data + b->read_pos, n);
    b->read_pos += n;
    *out_len = n;
    return 0;
}

/* `.` and `..`, in a LIST line or an NLST name (Pure-FTPd lists them). */
static int collect_into_nothing(void *userdata, const uint8_t *data, size_t len) {
    (void)userdata;
    (void)data;
    (void)len;
    return 0;
}

static int is_self_or_parent(const char *line, size_t len) {
    for (size_t dots = 1; dots <= 2; dots++) {
        if (len >= dots && strncmp(line + len - dots, "..", dots) == 0 &&
            (len == dots || line[len - dots - 1] == ' ')) {
            return 1;
        }
    }
    return 0;
}

/* Counts the lines other than `.` and `..`. */
static int count_lines(void *userdata, const char *line, size_t len) {
    int *count = userdata;
    if (!is_self_or_parent(line, len)) {
        (*count)++;
    }
    return line[len] == '\0' ? 0 : 1;
}

static int stop_progress(void *userdata, uint64_t transferred, int64_t total) {
    struct buffer *b = userdata;
    (void)transferred;
    (void)total;
    b->progress_calls++;
    return b->stop_progress_at != 0 && b->progress_calls >= b->stop_progress_at;
}

static void fill_pattern(struct buffer *b, size_t len) {
    b->data = malloc(len);
    b->len = b->cap = len;
    for (size_t i = 0; i < len; i++) {
        b->data[i] = (unsigned char)(i * 31 + i / 251);
    }
}

/* ---- the tests ------------------------------------------------------------------------ */

static void test_versions(void) {
    CHECK(ftp_version_number() == FTPC_VERSION_NUMBER);
    CHECK(strcmp(ftp_version(), FTPC_VERSION_STRING) == 0);
    for (int code = -14; code <= 1; code++) {
        CHECK(ftp_strerror(code) != NULL);
    }
    CHECK(strncmp(ftp_strerror(FTP_ERR_TIMEOUT), "FTP_ERR_TIMEOUT", 15) == 0);
}

static void test_null_arguments(ftp_client *ftp) {
    char *s = NULL;
    uint64_t u = 0;
    int64_t i = 0;
    int code = 0;
    bool flag = false;
    ftp_client *out = NULL;
    ftp_mlsd *it = NULL;
    ftp_data *data = NULL;
    ftp_entry *entry = NULL;
    const ftp_entry *borrowed = NULL;
    unsigned char buf[8];
    size_t n = 0;

    CHECK_NULL(ftp_connect(NULL, port, NULL, &out), "host");
    CHECK_NULL(ftp_connect(host, port, NULL, NULL), "out");
    CHECK_NULL(ftp_connect_url(NULL, "", NULL, &out, &s), "url");
    CHECK_NULL(ftp_connect_url("ftp://h/", "", NULL, NULL, &s), "out");
    CHECK_NULL(ftp_connect_url("ftp://h/", "", NULL, &out, NULL), "out_path");
    CHECK_NULL(ftp_login(NULL, user, password, ""), "ftp");
    CHECK_NULL(ftp_login(ftp, NULL, password, ""), "user");
    CHECK_NULL(ftp_login(ftp, user, NULL, ""), "password");
    CHECK_NULL(ftp_pwd(NULL, &s), "ftp");
    CHECK_NULL(ftp_pwd(ftp, NULL), "out");
    CHECK_NULL(ftp_cwd(NULL, "/"), "ftp");
    CHECK_NULL(ftp_cwd(ftp, NULL), "path");
    CHECK_NULL(ftp_cdup(NULL), "ftp");
    CHECK_NULL(ftp_mkd(NULL, "x", &s), "ftp");
    CHECK_NULL(ftp_mkd(ftp, NULL, &s), "path");
    CHECK_NULL(ftp_mkd(ftp, "x", NULL), "out");
    CHECK_NULL(ftp_rmd(NULL, "x"), "ftp");
    CHECK_NULL(ftp_rmd(ftp, NULL), "path");
    CHECK_NULL(ftp_delete(NULL, "x"), "ftp");
    CHECK_NULL(ftp_delete(ftp, NULL), "path");
    CHECK_NULL(ftp_rename(NULL, "a", "b"), "ftp");
    CHECK_NULL(ftp_rename(ftp, NULL, "b"), "from");
    CHECK_NULL(ftp_rename(ftp, "a", NULL), "to");
    CHECK_NULL(ftp_size(NULL, "x", &u), "ftp");
    CHECK_NULL(ftp_size(ftp, NULL, &u), "path");
    CHECK_NULL(ftp_size(ftp, "x", NULL), "out");
    CHECK_NULL(ftp_mdtm(NULL, "x", &i), "ftp");
    CHECK_NULL(ftp_mdtm(ftp, NULL, &i), "path");
    CHECK_NULL(ftp_mdtm(ftp, "x", NULL), "out");
    CHECK_NULL(ftp_mfmt(NULL, "x", 0), "ftp");
    CHECK_NULL(ftp_mfmt(ftp, NULL, 0), "path");
    CHECK_NULL(ftp_noop(NULL), "ftp");
    CHECK_NULL(ftp_abort(NULL), "ftp");
    CHECK_NULL(ftp_quote(NULL, "NOOP", &code, &s), "ftp");
    CHECK_NULL(ftp_quote(ftp, NULL, &code, &s), "command");
    CHECK_NULL(ftp_quote(ftp, "NOOP", NULL, &s), "out_code");
    CHECK_NULL(ftp_quote(ftp, "NOOP", &code, NULL), "out_text");
    CHECK_NULL(ftp_feat_has(NULL, "MLST", &flag), "ftp");
    CHECK_NULL(ftp_feat_has(ftp, NULL, &flag), "feature");
    CHECK_NULL(ftp_feat_has(ftp, "MLST", NULL), "out");
    CHECK_NULL(ftp_feat_params(NULL, "MLST", &s), "ftp");
    CHECK_NULL(ftp_feat_params(ftp, NULL, &s), "feature");
    CHECK_NULL(ftp_feat_params(ftp, "MLST", NULL), "out");
    CHECK_NULL(ftp_set_transfer_type(NULL, FTP_TYPE_BINARY), "ftp");
    CHECK_NULL(ftp_is_tls(NULL, &flag), "ftp");
    CHECK_NULL(ftp_is_tls(ftp, NULL), "out");
    CHECK_NULL(ftp_retr(NULL, "x", 0, collect, NULL, NULL), "ftp");
    CHECK_NULL(ftp_retr(ftp, NULL, 0, collect, NULL, NULL), "path");
    CHECK_NULL(ftp_retr(ftp, "x", 0, NULL, NULL, NULL), "write_cb");
    CHECK_NULL(ftp_stor(NULL, "x", 0, -1, produce, NULL, NULL), "ftp");
    CHECK_NULL(ftp_stor(ftp, NULL, 0, -1, produce, NULL, NULL), "path");
    CHECK_NULL(ftp_stor(ftp, "x", 0, -1, NULL, NULL, NULL), "read_cb");
    CHECK_NULL(ftp_appe(NULL, "x", 0, -1, produce, NULL, NULL), "ftp");
    CHECK_NULL(ftp_appe(ftp, NULL, 0, -1, produce, NULL, NULL), "path");
    CHECK_NULL(ftp_appe(ftp, "x", 0, -1, NULL, NULL, NULL), "read_cb");
    CHECK_NULL(ftp_retr_lines(NULL, "LIST", count_lines, NULL), "ftp");
    CHECK_NULL(ftp_retr_lines(ftp, NULL, count_lines, NULL), "command");
    CHECK_NULL(ftp_retr_lines(ftp, "LIST", NULL, NULL), "line_cb");
    CHECK_NULL(ftp_stor_lines(NULL, "x", produce, NULL), "ftp");
    CHECK_NULL(ftp_stor_lines(ftp, NULL, produce, NULL), "path");
    CHECK_NULL(ftp_stor_lines(ftp, "x", NULL, NULL), "read_cb");
    CHECK_NULL(ftp_list(NULL, "", count_lines, NULL), "ftp");
    /* An optional argument may be NULL: here the path (the current directory). */
    int listed = 0;
    CHECK(ftp_list(ftp, NULL, count_lines, &listed) == FTP_OK);
    CHECK_NULL(ftp_list(ftp, "", NULL, NULL), "line_cb");
    CHECK_NULL(ftp_nlst(NULL, "", count_lines, NULL), "ftp");
    CHECK(ftp_nlst(ftp, NULL, count_lines, &listed) == FTP_OK);
    CHECK_NULL(ftp_nlst(ftp, "", NULL, NULL), "line_cb");
    CHECK_NULL(ftp_retr_file(NULL, "x", "/tmp/x", false, NULL, NULL), "ftp");
    CHECK_NULL(ftp_retr_file(ftp, NULL, "/tmp/x", false, NULL, NULL), "remote");
    CHECK_NULL(ftp_retr_file(ftp, "x", NULL, false, NULL, NULL), "local_path");
    CHECK_NULL(ftp_stor_file(NULL, "/tmp/x", "x", NULL, NULL), "ftp");
    CHECK_NULL(ftp_stor_file(ftp, NULL, "x", NULL, NULL), "local_path");
    CHECK_NULL(ftp_stor_file(ftp, "/tmp/x", NULL, NULL, NULL), "remote");
    CHECK_NULL(ftp_retr_fd(NULL, "x", 1, NULL, NULL), "ftp");
    CHECK_NULL(ftp_retr_fd(ftp, NULL, 1, NULL, NULL), "remote");
    CHECK_NULL(ftp_stor_fd(NULL, 0, "x", -1, NULL, NULL), "ftp");
    CHECK_NULL(ftp_stor_fd(ftp, 0, NULL, -1, NULL, NULL), "remote");
    CHECK_NULL(ftp_mlsd_open(NULL, "", &it), "ftp");
    CHECK_NULL(ftp_mlsd_open(ftp, "", NULL), "out");
    CHECK_NULL(ftp_list_open(NULL, "", &it), "ftp");
    CHECK_NULL(ftp_list_open(ftp, "", NULL), "out");
    CHECK_NULL(ftp_mlsd_next(NULL, &borrowed), "it");
    const uint8_t *bytes = NULL;
    size_t bytes_len = 0;
    CHECK_NULL(ftp_entry_name_bytes(NULL, &bytes, &bytes_len), "entry");
    CHECK_NULL(ftp_mlst(NULL, "", &entry), "ftp");
    CHECK_NULL(ftp_mlst(ftp, "", NULL), "out");
    CHECK_NULL(ftp_entry_size(NULL, &u), "entry");
    CHECK_NULL(ftp_entry_modified(NULL, &i), "entry");
    CHECK_NULL(ftp_data_open(NULL, "LIST", 0, &data), "ftp");
    CHECK_NULL(ftp_data_open(ftp, NULL, 0, &data), "command");
    CHECK_NULL(ftp_data_open(ftp, "LIST", 0, NULL), "out");
    CHECK_NULL(ftp_data_expected_size(NULL, &u), "data");
    CHECK_NULL(ftp_data_read(NULL, buf, sizeof buf, &n), "data");
    CHECK_NULL(ftp_data_write(NULL, buf, sizeof buf), "data");
    CHECK_NULL(ftp_options_set_timeout_ms(NULL, 1), "opts");
    CHECK_NULL(ftp_options_set_connect_timeout_ms(NULL, 1), "opts");
    CHECK_NULL(ftp_options_set_reply_timeout_ms(NULL, 1), "opts");
    CHECK_NULL(ftp_options_set_data_connect_timeout_ms(NULL, 1), "opts");
    CHECK_NULL(ftp_options_set_accept_timeout_ms(NULL, 1), "opts");
    CHECK_NULL(ftp_options_set_data_idle_timeout_ms(NULL, 1), "opts");
    CHECK_NULL(ftp_options_set_passive_mode(NULL, FTP_PASSIVE_AUTO), "opts");
    CHECK_NULL(ftp_options_set_active(NULL, "", "", 0, 0, false), "opts");
    CHECK_NULL(ftp_options_set_trust_pasv_address(NULL, false), "opts");
    CHECK_NULL(ftp_options_set_tls(NULL, FTP_TLS_NONE), "opts");
    CHECK_NULL(ftp_options_set_tls_data_protection(NULL, FTP_PROT_PRIVATE), "opts");
    CHECK_NULL(ftp_options_set_tls_ca_file(NULL, "x"), "opts");
    CHECK_NULL(ftp_options_set_tls_ca_dir(NULL, "x"), "opts");
    CHECK_NULL(ftp_options_set_tls_system_roots(NULL, true), "opts");
    CHECK_NULL(ftp_options_add_tls_pin(NULL, "x"), "opts");
    CHECK_NULL(ftp_options_set_tls_server_name(NULL, "x"), "opts");
    CHECK_NULL(ftp_options_set_tls_client_cert(NULL, "a", "b"), "opts");
    CHECK_NULL(ftp_options_dangerous_disable_tls_verification(NULL), "opts");
    CHECK_NULL(ftp_options_set_tls_allow_missing_close_notify(NULL, false), "opts");
    CHECK_NULL(ftp_options_set_tls_versions(NULL, FTP_TLS_VERSION_1_2, FTP_TLS_VERSION_1_3), "opts");
    CHECK_NULL(ftp_options_set_tls_ccc(NULL, false), "opts");
    CHECK_NULL(ftp_options_set_block_size(NULL, 4096), "opts");
    CHECK_NULL(ftp_options_set_transfer_type(NULL, FTP_TYPE_BINARY), "opts");
    CHECK_NULL(ftp_options_set_utf8(NULL, true), "opts");
    CHECK_NULL(ftp_options_set_keepalive_ms(NULL, 1000), "opts");

    ftp_dir_list *dl = NULL;
    CHECK_NULL(ftp_set_retry_policy(NULL, 3, 10, 200, 100, 0), "ftp");
    CHECK_NULL(ftp_set_retry_callback(NULL, NULL, NULL), "ftp");
    CHECK_NULL(ftp_download_file(NULL, "x", "/tmp/x", false, NULL, NULL), "ftp");
    CHECK_NULL(ftp_download_file(ftp, NULL, "/tmp/x", false, NULL, NULL), "remote");
    CHECK_NULL(ftp_download_file(ftp, "x", NULL, false, NULL, NULL), "local_path");
    CHECK_NULL(ftp_download_fd(NULL, "x", 1, NULL, NULL), "ftp");
    CHECK_NULL(ftp_download_fd(ftp, NULL, 1, NULL, NULL), "remote");
    CHECK_NULL(ftp_upload_file(NULL, "/tmp/x", "x", false, NULL, NULL), "ftp");
    CHECK_NULL(ftp_upload_file(ftp, NULL, "x", false, NULL, NULL), "local_path");
    CHECK_NULL(ftp_upload_file(ftp, "/tmp/x", NULL, false, NULL, NULL), "remote");
    CHECK_NULL(ftp_upload_fd(NULL, 0, "x", NULL, NULL), "ftp");
    CHECK_NULL(ftp_upload_fd(ftp, 0, NULL, NULL, NULL), "remote");
    CHECK_NULL(ftp_ensure_directory(NULL, "x"), "ftp");
    CHECK_NULL(ftp_ensure_directory(ftp, NULL), "path");
    CHECK_NULL(ftp_dir_list_open(NULL, "", &dl), "ftp");
    CHECK(ftp_dir_list_open(ftp, NULL, &dl) == FTP_OK && dl != NULL);
    ftp_dir_list_free(dl);
    dl = NULL;
    CHECK_NULL(ftp_dir_list_open(ftp, "", NULL), "out");
    CHECK_NULL(ftp_sync_directory(NULL, "/tmp", "x", false, true, NULL, NULL), "ftp");
    CHECK_NULL(ftp_sync_directory(ftp, NULL, "x", false, true, NULL, NULL), "local_dir");
    CHECK_NULL(ftp_sync_directory(ftp, "/tmp", NULL, false, true, NULL, NULL), "remote_dir");
    CHECK_NULL(ftp_mirror_directory(NULL, "x", "/tmp/x", false, true, NULL, NULL), "ftp");
    CHECK_NULL(ftp_mirror_directory(ftp, NULL, "/tmp/x", false, true, NULL, NULL), "remote_dir");
    CHECK_NULL(ftp_mirror_directory(ftp, "x", NULL, false, true, NULL, NULL), "local_dir");
    CHECK_NULL(ftp_sync(ftp, NULL, "x", 0, NULL, NULL), "local_dir");
    CHECK_NULL(ftp_mirror(ftp, "x", NULL, 0, NULL, NULL), "local_dir");
    CHECK(ftp_set_retry_policy(ftp, 0, 10, 200, 100, 0) == FTP_ERR_INVALID_ARGUMENT);
    CHECK(ftp_dir_list_count(NULL) == 0 && ftp_dir_list_entry(NULL, 0) == NULL);
    ftp_dir_list_free(NULL);

    ftp_options *opts = ftp_options_new();
    CHECK_NULL(ftp_options_set_active(opts, NULL, "", 0, 0, false), "bind_address");
    CHECK_NULL(ftp_options_set_active(opts, "", NULL, 0, 0, false), "advertise_address");
    CHECK_NULL(ftp_options_set_tls_ca_file(opts, NULL), "path");
    CHECK_NULL(ftp_options_set_tls_ca_dir(opts, NULL), "path");
    CHECK_NULL(ftp_options_add_tls_pin(opts, NULL), "pin");
    CHECK_NULL(ftp_options_set_tls_server_name(opts, NULL), "name");
    CHECK_NULL(ftp_options_set_tls_client_cert(opts, NULL, "b"), "cert_path");
    CHECK_NULL(ftp_options_set_tls_client_cert(opts, "a", NULL), "key_path");
    /* Bad values are refused too, with the handle left as it was. */
    CHECK(ftp_options_set_passive_mode(opts, 99) == FTP_ERR_INVALID_ARGUMENT);
    CHECK(ftp_options_set_tls(opts, 99) == FTP_ERR_INVALID_ARGUMENT);
    CHECK(ftp_options_set_block_size(opts, 0) == FTP_ERR_INVALID_ARGUMENT);
    CHECK(ftp_options_add_tls_pin(opts, "not a pin") == FTP_ERR_INVALID_ARGUMENT);
    CHECK(ftp_options_add_tls_ca_pem(opts, (const uint8_t *)"junk", 4) == FTP_ERR_INVALID_ARGUMENT);
    CHECK(ftp_options_set_list_format(opts, 99) == FTP_ERR_INVALID_ARGUMENT);
    CHECK(ftp_options_set_list_format(opts, FTP_LIST_FORMAT_VMS) == FTP_OK);
    CHECK(ftp_options_set_list_format(opts, FTP_LIST_FORMAT_AUTO) == FTP_OK);
    CHECK(ftp_options_set_server_utc_offset_minutes(opts, 25 * 60) == FTP_ERR_INVALID_ARGUMENT);
    CHECK(ftp_options_set_server_utc_offset_minutes(opts, -300) == FTP_OK);
    CHECK_NULL(ftp_options_add_tls_ca_pem(opts, NULL, 0), "pem");
    CHECK(ftp_options_set_active(opts, "not an ip", "", 0, 0, false) == FTP_ERR_INVALID_ARGUMENT);
    ftp_options_free(opts);

    /* Getters and destructors accept NULL. */
    CHECK(ftp_welcome(NULL) != NULL && ftp_welcome(NULL)[0] == '\0');
    CHECK(ftp_reply_text(NULL) != NULL);
    CHECK(ftp_errmsg(NULL) != NULL);
    CHECK(ftp_reply_code(NULL) == 0);
    CHECK(ftp_errcode(NULL) == FTP_ERR_INVALID_ARGUMENT);
    CHECK(ftp_entry_name(NULL) != NULL);
    CHECK(ftp_entry_type(NULL) == FTP_ENTRY_OTHER);
    CHECK(ftp_entry_fact(NULL, "type") == NULL);
    CHECK(ftp_data_close(NULL) == FTP_OK);
    CHECK(ftp_data_abort(NULL) == FTP_OK);
    ftp_close(NULL);
    ftp_options_free(NULL);
    ftp_mlsd_close(NULL);
    ftp_entry_free(NULL);
    ftp_string_free(NULL);

    /* Out-parameters stay untouched on failure. */
    s = (char *)"untouched";
    CHECK(ftp_mkd(ftp, "a\r\nDELE x", &s) == FTP_ERR_INVALID_ARGUMENT);
    CHECK(strcmp(s, "untouched") == 0);
    /* The session is still usable after all of that. */
    CHECK(ftp_noop(ftp) == FTP_OK);
    CHECK(ftp_last_error_code() == FTP_OK);
    CHECK(ftp_last_error_message()[0] == '\0');
}

static void test_commands_and_transfers(ftp_client *ftp) {
    char *dir = NULL;
    CHECK(ftp_pwd(ftp, &dir) == FTP_OK && strcmp(dir, "/") == 0);
    ftp_string_free(dir);
    CHECK(ftp_reply_code(ftp) == 257);
    CHECK(strlen(ftp_welcome(ftp)) > 0);

    char *made = NULL;
    const char *want_made = strcmp(server, "pureftpd") == 0 ? "c dir" : "/c dir";
    CHECK(ftp_mkd(ftp, "c dir", &made) == FTP_OK && strcmp(made, want_made) == 0);
    ftp_string_free(made);
    CHECK(ftp_cwd(ftp, "c dir") == FTP_OK);
    CHECK(ftp_cdup(ftp) == FTP_OK);

    struct buffer up = {0};
    fill_pattern(&up, 3 * 1024 * 1024 + 17);
    CHECK(ftp_stor(ftp, "c dir/blob.bin", 0, (int64_t)up.len, produce, NULL, &up) == FTP_OK);
    uint64_t size = 0;
    CHECK(ftp_size(ftp, "c dir/blob.bin", &size) == FTP_OK && size == up.len);
    int64_t mtime = 0;
    CHECK(ftp_mdtm(ftp, "c dir/blob.bin", &mtime) == FTP_OK && mtime > 1600000000);

    struct buffer down = {0};
    CHECK(ftp_retr(ftp, "c dir/blob.bin", 0, collect, NULL, &down) == FTP_OK);
    CHECK(down.len == up.len && memcmp(down.data, up.data, up.len) == 0);
    free(down.data);

    /* Resume from an offset. */
    struct buffer tail = {0};
    CHECK(ftp_retr(ftp, "c dir/blob.bin", 1000, collect, NULL, &tail) == FTP_OK);
    CHECK(tail.len == up.len - 1000 && memcmp(tail.data, up.data + 1000, tail.len) == 0);
    free(tail.data);

    /* A server error keeps its reply code, on the thread and on the handle. */
    struct buffer none = {0};
    ftp_result rc = ftp_retr(ftp, "missing.bin", 0, collect, NULL, &none);
    CHECK(rc == FTP_ERR_PERMANENT);
    CHECK(ftp_last_reply_code() == 550);
    CHECK(strstr(ftp_last_error_message(), "RETR missing.bin: 550") != NULL);
    CHECK(ftp_errcode(ftp) == FTP_ERR_PERMANENT);
    CHECK(strstr(ftp_errmsg(ftp), "550") != NULL);
    CHECK(ftp_reply_code(ftp) == 550);
    /* A success clears both. */
    CHECK(ftp_noop(ftp) == FTP_OK);
    CHECK(ftp_errcode(ftp) == FTP_OK && ftp_errmsg(ftp)[0] == '\0');
    CHECK(ftp_last_error_code() == FTP_OK);

    /* Raw commands. */
    int code = 0;
    char *text = NULL;
    CHECK(ftp_quote(ftp, "SYST", &code, &text) == FTP_OK && code == 215);
    ftp_string_free(text);
    CHECK(ftp_quote(ftp, "XYZZY", &code, &text) == FTP_OK && code >= 500);
    ftp_string_free(text);

    /* Listing lines. */
    int lines = 0;
    CHECK(ftp_list(ftp, "c dir", count_lines, &lines) == FTP_OK && lines == 1);
    lines = 0;
    CHECK(ftp_nlst(ftp, "", count_lines, &lines) == FTP_OK && lines == 1);
    bool has = false;
    CHECK(ftp_feat_has(ftp, "SIZE", &has) == FTP_OK && has);
    char *params = NULL;
    CHECK(ftp_feat_params(ftp, "NO-SUCH-FEATURE", &params) == FTP_ERR_NOT_AVAILABLE);

    /* Parsed LIST works on every server (through the listing's canonical names; the first
     * names, ftp_list_open/ftp_mlsd_next/ftp_mlsd_close, are used elsewhere in this file). */
    ftp_listing *it = NULL;
    CHECK(ftp_listing_open(ftp, "c dir", 7, &it) == FTP_ERR_INVALID_ARGUMENT && it == NULL);
    CHECK(ftp_listing_open(ftp, "c dir", FTP_LISTING_LIST, &it) == FTP_OK);
    const ftp_entry *entry = NULL;
    int entries = 0;
    while ((rc = ftp_listing_next(it, &entry)) == FTP_OK) {
        const char *name = ftp_entry_name(entry);
        const uint8_t *name_bytes = NULL;
        size_t name_len = 0;
        CHECK(ftp_entry_name_bytes(entry, &name_bytes, &name_len) == FTP_OK &&
              name_len == strlen(name) && memcmp(name_bytes, name, name_len) == 0);
        if (is_self_or_parent(name, strlen(name))) {
            continue;
        }
        entries++;
        CHECK(strcmp(name, "blob.bin") == 0);
        CHECK(ftp_entry_type(entry) == FTP_ENTRY_FILE);
        CHECK(ftp_entry_size(entry, &size) == FTP_OK && size == up.len);
        CHECK(ftp_entry_fact(entry, "UNIX.MODE") != NULL);
        CHECK(ftp_entry_fact(entry, "no-such-fact") == NULL);
        /* The line it came from, and the format that read it. */
        const uint8_t *raw = NULL;
        size_t raw_len = 0;
        CHECK(ftp_entry_raw(entry, &raw, &raw_len) == FTP_OK && raw_len > strlen(name));
        CHECK(ftp_entry_format(entry) == FTP_LIST_FORMAT_UNIX);
        /* Every fact, by position, agrees with the lookup by name. */
        size_t facts = ftp_entry_fact_count(entry);
        CHECK(facts > 0);
        for (size_t i = 0; i < facts; i++) {
            const char *fact_name = NULL, *fact_value = NULL;
            CHECK(ftp_entry_fact_at(entry, i, &fact_name, &fact_value) == FTP_OK);
            CHECK(fact_name != NULL && fact_value != NULL &&
                  strcmp(ftp_entry_fact(entry, fact_name), fact_value) == 0);
        }
        const char *none = NULL;
        CHECK(ftp_entry_fact_at(entry, facts, &none, &none) == FTP_ERR_INVALID_ARGUMENT);
    }
    CHECK(rc == FTP_DONE && entries == 1);
    ftp_listing_close(it);

    /* Raw data stream. */
    ftp_data *data = NULL;
    CHECK(ftp_data_open(ftp, "STOR c dir/raw.bin", 0, &data) == FTP_OK);
    CHECK(ftp_data_write(data, up.data, 100000) == FTP_OK);
    /* The session belongs to the stream until it is closed. */
    CHECK(ftp_noop(ftp) == FTP_ERR_INVALID_STATE);
    CHECK(ftp_data_close(data) == FTP_OK);
    CHECK(ftp_size(ftp, "c dir/raw.bin", &size) == FTP_OK && size == 100000);
    CHECK(ftp_data_open(ftp, "RETR c dir/raw.bin", 0, &data) == FTP_OK);
    unsigned char buf[4096];
    size_t got = 0, n = 0;
    int same = 1;
    do {
        CHECK(ftp_data_read(data, buf, sizeof buf, &n) == FTP_OK);
        same &= memcmp(buf, up.data + got, n) == 0;
        got += n;
    } while (n > 0);
    CHECK(got == 100000 && same);
    CHECK(ftp_data_close(data) == FTP_OK);

    /* Modes chosen on a connected session: no PROT without TLS; active and back. */
    CHECK(ftp_set_data_protection(ftp, FTP_PROT_CLEAR) == FTP_ERR_INVALID_STATE);
    CHECK(ftp_set_data_protection(ftp, 42) == FTP_ERR_INVALID_ARGUMENT);
    CHECK(ftp_set_passive(ftp, false) == FTP_OK);
    CHECK(ftp_size(ftp, "c dir/raw.bin", &size) == FTP_OK);
    CHECK(ftp_retr(ftp, "c dir/raw.bin", 99990, collect_into_nothing, NULL, NULL) == FTP_OK);
    CHECK(ftp_set_passive(ftp, true) == FTP_OK);

    /* Freed unfinished, without a word to the server (as a finalizer does): the next call
     * starts a new session, in the same working directory. */
    char *before = NULL, *after = NULL;
    CHECK(ftp_pwd(ftp, &before) == FTP_OK);
    CHECK(ftp_data_open(ftp, "RETR c dir/raw.bin", 0, &data) == FTP_OK);
    CHECK(ftp_data_read(data, buf, sizeof buf, &n) == FTP_OK);
    ftp_data_free(data);
    ftp_data_free(NULL);
    CHECK(ftp_pwd(ftp, &after) == FTP_OK && before != NULL && after != NULL &&
          strcmp(before, after) == 0);
    ftp_string_free(after);
    CHECK(ftp_listing_open(ftp, "", FTP_LISTING_LIST, &it) == FTP_OK);
    ftp_listing_free(it);
    ftp_listing_free(NULL);
    CHECK(ftp_pwd(ftp, &after) == FTP_OK && strcmp(before, after) == 0);
    ftp_string_free(after);
    ftp_string_free(before);

    /* Local files. */
    char local[] = "/tmp/ftpc-api-test-XXXXXX";
    int fd = mkstemp(local);
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK(ftp_retr_fd(ftp, "c dir/raw.bin", fd, NULL, NULL) == FTP_OK);
        close(fd);
        CHECK(ftp_stor_file(ftp, local, "c dir/copy.bin", NULL, NULL) == FTP_OK);
        CHECK(ftp_size(ftp, "c dir/copy.bin", &size) == FTP_OK && size == 100000);
        CHECK(ftp_retr_file(ftp, "c dir/blob.bin", local, false, NULL, NULL) == FTP_OK);
        FILE *f = fopen(local, "rb");
        CHECK(f != NULL);
        if (f != NULL) {
            fseek(f, 0, SEEK_END);
            CHECK((size_t)ftell(f) == up.len);
            fclose(f);
        }
        remove(local);
    }
    free(up.data);
}

static void test_callbacks_stop_and_reenter(ftp_client *ftp) {
    struct buffer up = {0};
    fill_pattern(&up, 8 * 1024 * 1024);
    CHECK(ftp_stor(ftp, "big.bin", 0, -1, produce, NULL, &up) == FTP_OK);

    /* A write callback that stops: aborted, and the session goes on. */
    struct buffer down = {0};
    down.stop_after = 3;
    CHECK(ftp_retr(ftp, "big.bin", 0, collect, NULL, &down) == FTP_ERR_ABORTED);
    CHECK(ftp_noop(ftp) == FTP_OK);
    free(down.data);

    /* A progress callback that stops (it shares userdata with the write callback). */
    struct buffer sink = {0};
    sink.stop_progress_at = 2;
    CHECK(ftp_retr(ftp, "big.bin", 0, collect, stop_progress, &sink) == FTP_ERR_ABORTED);
    CHECK(sink.progress_calls == 2 && sink.len < up.len);
    free(sink.data);
    CHECK(ftp_noop(ftp) == FTP_OK);
    /* Progress that never stops sees the whole file with its total. */
    struct buffer whole = {0};
    CHECK(ftp_retr(ftp, "big.bin", 0, collect, stop_progress, &whole) == FTP_OK);
    CHECK(whole.len == up.len && whole.progress_calls > 0);
    free(whole.data);

    /* A read callback that stops an upload. */
    up.read_pos = 0;
    up.calls = 0;
    up.stop_after = 2;
    CHECK(ftp_stor(ftp, "partial.bin", 0, -1, produce, NULL, &up) == FTP_ERR_ABORTED);
    CHECK(ftp_noop(ftp) == FTP_OK);

    /* Re-entrant call from inside a callback: FTP_ERR_BUSY, transfer unharmed. */
    struct buffer reenter = {0};
    reenter.ftp = ftp;
    reenter.reentrant_rc = FTP_OK;
    CHECK(ftp_retr(ftp, "big.bin", 0, collect, NULL, &reenter) == FTP_OK);
    CHECK(reenter.reentrant_rc == FTP_ERR_BUSY);
    /* Getters answer from inside the callback with the values of the last completed call
     * (the NOOP before: success, 200), never a made-up one. */
    CHECK(reenter.seen_errcode == FTP_OK);
    CHECK(reenter.seen_reply_code == 200);
    CHECK(reenter.seen_welcome);
    CHECK(reenter.quit_rc == FTP_ERR_BUSY);
    CHECK(ftp_errreply(ftp) == 0);
    CHECK(reenter.len == up.len && memcmp(reenter.data, up.data, up.len) == 0);
    free(reenter.data);
    free(up.data);
    CHECK(ftp_noop(ftp) == FTP_OK);
}

static void test_errors_without_thread_locals(void) {
    /* Option errors are kept on the options object. */
    ftp_options *opts = ftp_options_new();
    CHECK(ftp_options_errcode(opts) == FTP_OK && ftp_options_errmsg(opts)[0] == '\0');
    CHECK(ftp_options_set_block_size(opts, 0) == FTP_ERR_INVALID_ARGUMENT);
    CHECK(ftp_options_errcode(opts) == FTP_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ftp_options_errmsg(opts), "block size") != NULL);
    CHECK(ftp_options_set_timeout_ms(opts, 5000) == FTP_OK && ftp_options_errcode(opts) == FTP_OK);
    CHECK(ftp_options_errcode(NULL) == FTP_ERR_INVALID_ARGUMENT);

    /* A handle made first, then connected: a failed connect is kept on the handle. */
    ftp_client *refused = NULL;
    CHECK(ftp_new(opts, &refused) == FTP_OK && refused != NULL);
    CHECK(ftp_noop(refused) == FTP_ERR_INVALID_STATE); /* not connected yet */
    CHECK(ftp_open(refused, "127.0.0.1", 1) == FTP_ERR_IO);
    CHECK(ftp_errcode(refused) == FTP_ERR_IO && ftp_errmsg(refused)[0] != '\0');
    ftp_free(refused);

    ftp_client *ftp = NULL;
    CHECK(ftp_new(opts, &ftp) == FTP_OK);
    ftp_options_free(opts); /* copied by ftp_new */
    CHECK(ftp_open(ftp, host, port) == FTP_OK && ftp_errcode(ftp) == FTP_OK);
    CHECK(ftp_welcome(ftp)[0] != '\0');
    CHECK(ftp_open(ftp, host, port) == FTP_ERR_INVALID_STATE); /* connected already */
    CHECK(ftp_login(ftp, user, password, NULL) == FTP_OK);
    CHECK(ftp_noop(ftp) == FTP_OK);
    CHECK(ftp_quit(ftp) == FTP_OK);
}

static void test_free_in_any_order(void) {
    /* ftp_quit reports how QUIT went; ftp_free sends and waits for nothing (finalizers). */
    ftp_client *q = connect_and_login();
    CHECK(ftp_quit(q) == FTP_OK);
    CHECK(ftp_quit(NULL) == FTP_OK);
    ftp_client *f = connect_and_login();
    ftp_mlsd *open_listing = NULL;
    CHECK(ftp_mlsd_open(f, NULL, &open_listing) == FTP_OK || ftp_list_open(f, NULL, &open_listing) == FTP_OK);
    /* While the listing owns the session, the production layer refuses at once (it once
     * retried with backoff, as if the session might come back by itself). */
    time_t refused_at = time(NULL);
    ftp_dir_list *busy_list = NULL;
    CHECK(ftp_dir_list_open(f, NULL, &busy_list) == FTP_ERR_INVALID_STATE && busy_list == NULL);
    CHECK(ftp_download_file(f, "x", "/tmp/ftpc-never-written", false, NULL, NULL) ==
          FTP_ERR_INVALID_STATE);
    CHECK(ftp_ensure_directory(f, "never") == FTP_ERR_INVALID_STATE);
    CHECK(time(NULL) - refused_at < 2);
    ftp_free(f);                 /* with a child handle still open */
    ftp_mlsd_close(open_listing);
    ftp_free(NULL);

    /* Listing outlives its session. */
    ftp_client *ftp = connect_and_login();
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "order-%d.txt", i);
        struct buffer b = {0};
        fill_pattern(&b, 10);
        ftp_stor(ftp, name, 0, -1, produce, NULL, &b);
        free(b.data);
    }
    ftp_mlsd *it = NULL;
    CHECK(ftp_list_open(ftp, "", &it) == FTP_OK);
    const ftp_entry *entry = NULL;
    CHECK(ftp_mlsd_next(it, &entry) == FTP_OK);
    ftp_close(ftp);
    CHECK(ftp_mlsd_next(it, &entry) == FTP_ERR_INVALID_STATE);
    ftp_mlsd_close(it);

    /* Iterator closed early: the session is usable afterwards. */
    ftp = connect_and_login();
    CHECK(ftp_list_open(ftp, "", &it) == FTP_OK);
    CHECK(ftp_mlsd_next(it, &entry) == FTP_OK);
    ftp_mlsd_close(it);
    CHECK(ftp_noop(ftp) == FTP_OK);

    /* Data stream outlives its session. */
    ftp_data *data = NULL;
    CHECK(ftp_data_open(ftp, "RETR order-0.txt", 0, &data) == FTP_OK);
    ftp_close(ftp);
    CHECK(ftp_data_close(data) == FTP_ERR_INVALID_STATE);

    /* An MLST entry outlives its session. */
    ftp = connect_and_login();
    ftp_entry *owned = NULL;
    if (ftp_mlst(ftp, "order-1.txt", &owned) == FTP_OK) {
        ftp_close(ftp);
        CHECK(strstr(ftp_entry_name(owned), "order-1.txt") != NULL);
        ftp_entry_free(owned);
    } else {
        /* vsftpd has no MLST. */
        CHECK(ftp_last_reply_code() == 500);
        ftp_close(ftp);
    }
}

/* ---- the production layer ----------------------------------------------------------- */

struct sync_counts {
    int uploaded, downloaded, skipped, deleted, created, failed, dry_events;
    uint64_t last_done, last_total;
};

static int count_sync(void *userdata, int32_t action, const char *path, uint64_t bytes,
                      uint64_t files_done, uint64_t files_total, ftp_result error,
                      const char *message) {
    struct sync_counts *c = userdata;
    (void)bytes;
    (void)error;
    switch (action) {
    case FTP_SYNC_UPLOADED: c->uploaded++; break;
    case FTP_SYNC_DOWNLOADED: c->downloaded++; break;
    case FTP_SYNC_SKIPPED: c->skipped++; break;
    case FTP_SYNC_DELETED: c->deleted++; break;
    case FTP_SYNC_CREATED_DIRECTORY: c->created++; break;
    default:
        c->failed++;
        fprintf(stderr, "sync failed at %s: %s\n", path, message);
    }
    c->last_done = files_done;
    c->last_total = files_total;
    return 0;
}

/* The same counts through the event handle of ftp_sync/ftp_mirror. */
static int count_sync_event(void *userdata, const ftp_sync_event *event) {
    struct sync_counts *c = userdata;
    const char *path = ftp_sync_event_path(event);
    CHECK(path != NULL && ftp_sync_event_message(event) != NULL);
    if (ftp_sync_event_action(event) == FTP_SYNC_FAILED) {
        CHECK(ftp_sync_event_error(event) < 0);
    } else {
        CHECK(ftp_sync_event_error(event) == FTP_OK && ftp_sync_event_reply_code(event) == 0);
    }
    if (ftp_sync_event_dry_run(event)) {
        c->dry_events++;
    }
    return count_sync(userdata, ftp_sync_event_action(event), path, ftp_sync_event_bytes(event),
                      ftp_sync_event_files_done(event), ftp_sync_event_files_total(event),
                      ftp_sync_event_error(event), ftp_sync_event_message(event));
}

/* Progress across a sync: FTP_SYNC_PROGRESS events while files move, and the run's bytes. */
struct progress_counts {
    int progress_events, path_events, went_back;
    uint64_t last_done, total;
};

static int count_progress_event(void *userdata, const ftp_sync_event *event) {
    struct progress_counts *c = userdata;
    uint64_t done = ftp_sync_event_bytes_done(event);
    c->went_back += done < c->last_done;
    c->last_done = done;
    c->total = ftp_sync_event_bytes_total(event);
    if (ftp_sync_event_action(event) == FTP_SYNC_PROGRESS) {
        c->progress_events++;
        CHECK(ftp_sync_event_file_size(event) >= (int64_t)ftp_sync_event_bytes(event));
    } else {
        c->path_events++;
        CHECK(ftp_sync_event_file_size(event) == -1);
    }
    return 0;
}

static int veto_retry(void *userdata, uint32_t attempt, ftp_result error, int reply_code,
                      const char *message, uint32_t delay_ms) {
    int *calls = userdata;
    (void)attempt;
    (void)error;
    (void)reply_code;
    (void)message;
    (void)delay_ms;
    (*calls)++;
    return 1;
}

static void write_file(const char *path, size_t len) {
    FILE *f = fopen(path, "wb");
    for (size_t i = 0; f != NULL && i < len; i++) {
        fputc((int)(i * 7 % 251), f);
    }
    if (f != NULL) {
        fclose(f);
    }
}

/* Counts trace events; a line with the password in it is a leak. */
struct trace_counts {
    int commands, replies, noop_seen, leaks, bad_times;
};

static int count_trace(void *userdata, int32_t kind, int64_t time_us, const char *line) {
    struct trace_counts *t = userdata;
    t->commands += kind == FTP_TRACE_COMMAND;
    t->replies += kind == FTP_TRACE_REPLY;
    t->noop_seen += strcmp(line, "> NOOP") == 0;
    t->leaks += strstr(line, password) != NULL;
    t->bad_times += time_us < 1700000000LL * 1000000LL;
    return 0;
}

static void test_trace_and_integrity(ftp_client *ftp, const char *back) {
    struct trace_counts trace = {0};
    CHECK(ftp_set_trace_callback(ftp, count_trace, &trace) == FTP_OK);
    CHECK(ftp_noop(ftp) == FTP_OK);
    char *text = NULL;
    int code = 0;
    CHECK(ftp_quote(ftp, "NOOP", &code, &text) == FTP_OK && code == 200);
    ftp_string_free(text);
    CHECK(ftp_set_trace_callback(ftp, NULL, NULL) == FTP_OK);
    CHECK(ftp_noop(ftp) == FTP_OK);
    CHECK(trace.commands == 2 && trace.noop_seen == 2 && trace.replies >= 2);
    CHECK(trace.leaks == 0 && trace.bad_times == 0);
    ftp_options *opts = ftp_options_new();
    CHECK(ftp_options_set_trace_callback(opts, count_trace, &trace) == FTP_OK);
    /* Proxies: the URL forms; a bad one is refused without repeating its password. */
    CHECK(ftp_options_set_proxy(opts, "socks5h://u:p@127.0.0.1:1080") == FTP_OK);
    CHECK(ftp_options_set_proxy(opts, "http://127.0.0.1") == FTP_OK);
    CHECK(ftp_options_set_proxy(opts, "gopher://u:proxy-pw@h") == FTP_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ftp_options_errmsg(opts), "proxy-pw") == NULL);
    CHECK(ftp_options_set_proxy(opts, NULL) == FTP_OK && ftp_options_set_proxy(opts, "") == FTP_OK);
    CHECK(ftp_options_set_trace_callback(NULL, count_trace, &trace) == FTP_ERR_INVALID_ARGUMENT);
    ftp_options_free(opts);

    /* Integrity: ProFTPD computes hashes (HASH, X commands); the others cannot say. */
    int hashes = strcmp(server, "proftpd") == 0;
    char *hex = NULL;
    ftp_result rc = ftp_hash(ftp, "prod/a.bin", FTP_HASH_MD5, &hex);
    if (hashes) {
        CHECK(rc == FTP_OK && hex != NULL && strlen(hex) == 32);
    } else {
        CHECK(rc == FTP_ERR_NOT_AVAILABLE && hex == NULL);
        CHECK(strstr(ftp_errmsg(ftp), "the server cannot say") != NULL);
    }
    ftp_string_free(hex);
    hex = NULL;
    CHECK(ftp_hash(ftp, "prod/a.bin", 99, &hex) == FTP_ERR_INVALID_ARGUMENT && hex == NULL);
    rc = ftp_download_file_ex(ftp, "prod/a.bin", back, FTP_FILE_VERIFY, NULL, NULL);
    CHECK(rc == (hashes ? FTP_OK : FTP_ERR_NOT_AVAILABLE));
    CHECK(ftp_download_file_ex(ftp, "prod/a.bin", back, 64, NULL, NULL) ==
          FTP_ERR_INVALID_ARGUMENT);
    CHECK(ftp_upload_file_ex(ftp, back, "prod/c.bin", FTP_FILE_TEMPORARY_NAME | FTP_FILE_VERIFY,
                             NULL, NULL) == (hashes ? FTP_OK : FTP_ERR_NOT_AVAILABLE));
    CHECK(ftp_delete(ftp, hashes ? "prod/c.bin" : "prod/.c.bin.ftpc-part") == FTP_OK);
    CHECK(strcmp(ftp_strerror(FTP_ERR_INTEGRITY), "FTP_ERR_INTEGRITY: integrity check failed") ==
          0);
}

static void test_production_layer(ftp_client *ftp) {
    char local[] = "/tmp/ftpc-prod-XXXXXX";
    CHECK(mkdtemp(local) != NULL);
    char path[512], sub[256];
    snprintf(sub, sizeof sub, "%s/sub dir", local);
    CHECK(mkdir(sub, 0755) == 0);
    snprintf(path, sizeof path, "%s/a.bin", local);
    write_file(path, 300000);
    snprintf(path, sizeof path, "%s/sub dir/b.txt", local);
    write_file(path, 1234);

    CHECK(ftp_set_retry_policy(ftp, 3, 10, 200, 100, 0) == FTP_OK);
    CHECK(ftp_ensure_directory(ftp, "prod/x/y") == FTP_OK);
    CHECK(ftp_ensure_directory(ftp, "prod/x/y") == FTP_OK);

    snprintf(path, sizeof path, "%s/a.bin", local);
    uint64_t size = 0;
    CHECK(ftp_upload_file(ftp, path, "prod/a.bin", true, NULL, NULL) == FTP_OK);
    CHECK(ftp_size(ftp, "prod/a.bin", &size) == FTP_OK && size == 300000);
    char back[300];
    snprintf(back, sizeof back, "%s/back.bin", local);
    struct buffer progress = {0};
    CHECK(ftp_download_file(ftp, "prod/a.bin", back, false, stop_progress, &progress) == FTP_OK);
    CHECK(progress.progress_calls > 0);
    test_trace_and_integrity(ftp, back);
    FILE *f = fopen(back, "rb");
    CHECK(f != NULL);
    if (f != NULL) {
        fseek(f, 0, SEEK_END);
        CHECK(ftell(f) == 300000);
        fclose(f);
    }

    ftp_dir_list *list = NULL;
    CHECK(ftp_dir_list_open(ftp, "prod", &list) == FTP_OK);
    CHECK(ftp_dir_list_count(list) == 2);
    for (size_t i = 0; i < ftp_dir_list_count(list); i++) {
        const ftp_entry *e = ftp_dir_list_entry(list, i);
        CHECK(strcmp(ftp_entry_name(e), "a.bin") == 0 || strcmp(ftp_entry_name(e), "x") == 0);
    }
    CHECK(ftp_dir_list_entry(list, 2) == NULL);
    ftp_dir_list_free(list);

    /* 5xx is not retried, so the callback never runs; a veto stops a retry. */
    int retry_calls = 0;
    CHECK(ftp_set_retry_callback(ftp, veto_retry, &retry_calls) == FTP_OK);
    CHECK(ftp_download_file(ftp, "prod/missing", back, false, NULL, NULL) == FTP_ERR_PERMANENT);
    CHECK(retry_calls == 0);
    CHECK(ftp_set_retry_callback(ftp, NULL, NULL) == FTP_OK);

    /* Sync: everything uploads, then nothing does; mirror back, then nothing moves. */
    struct sync_counts first = {0}, second = {0}, dry = {0};
    remove(back);
    CHECK(ftp_sync_directory(ftp, local, "synced", false, true, count_sync, &dry) == FTP_OK);
    CHECK(dry.uploaded == 2 && dry.failed == 0);
    CHECK(ftp_sync_directory(ftp, local, "synced", false, false, count_sync, &first) == FTP_OK);
    CHECK(first.uploaded == 2 && first.failed == 0 && first.last_done == first.last_total);
    CHECK(ftp_sync_directory(ftp, local, "synced", true, false, count_sync, &second) == FTP_OK);
    CHECK(second.uploaded == 0 && second.skipped == 2 && second.deleted == 0);
    char mirror[300];
    snprintf(mirror, sizeof mirror, "%s/mirror", local);
    struct sync_counts down = {0};
    CHECK(ftp_mirror_directory(ftp, "synced", mirror, false, false, count_sync, &down) == FTP_OK);
    CHECK(down.downloaded == 2 && down.failed == 0);
    /* The event-handle forms: a dry run reports the plan, then a mirror finds nothing to do. */
    struct sync_counts planned = {0}, again = {0};
    CHECK(ftp_sync(ftp, local, "synced2", FTP_SYNC_DRY_RUN, count_sync_event, &planned) == FTP_OK);
    CHECK(planned.uploaded == first.uploaded + down.downloaded && planned.failed == 0);
    CHECK(planned.dry_events == planned.uploaded + planned.created);
    CHECK(ftp_mirror(ftp, "synced", mirror, FTP_SYNC_DELETE, count_sync_event, &again) == FTP_OK);
    CHECK(again.downloaded == 0 && again.skipped == 2 && again.failed == 0 && again.dry_events == 0);
    CHECK(ftp_sync(ftp, local, "synced", 0x80, NULL, NULL) == FTP_ERR_INVALID_ARGUMENT);
    struct progress_counts progress_seen = {0};
    CHECK(ftp_sync(ftp, local, "synced3", FTP_SYNC_PROGRESS_EVENTS, count_progress_event,
                   &progress_seen) == FTP_OK);
    CHECK(progress_seen.progress_events >= 2 && progress_seen.path_events >= 2);
    CHECK(progress_seen.went_back == 0 && progress_seen.total >= 300000 + 1234);
    CHECK(progress_seen.last_done == progress_seen.total);
    CHECK(ftp_sync_event_action(NULL) == -1 && ftp_sync_event_bytes(NULL) == 0);
    snprintf(path, sizeof path, "%s/sub dir/b.txt", mirror);
    f = fopen(path, "rb");
    CHECK(f != NULL);
    if (f != NULL) {
        fclose(f);
    }

    /* Clean up the local tree. */
    remove(path);
    snprintf(path, sizeof path, "%s/sub dir", mirror);
    remove(path);
    snprintf(path, sizeof path, "%s/a.bin", mirror);
    remove(path);
    remove(mirror);
    snprintf(path, sizeof path, "%s/sub dir/b.txt", local);
    remove(path);
    remove(sub);
    snprintf(path, sizeof path, "%s/a.bin", local);
    remove(path);
    CHECK(remove(local) == 0);
}

/* Two threads, each with its own handle, failing in different ways at the same time: each
 * sees only its own errors, on its thread and on its handle. */
struct thread_result {
    int ok;
    int id;
};

static void *worker(void *arg) {
    struct thread_result *result = arg;
    ftp_client *ftp = connect_and_login();
    char missing[64];
    snprintf(missing, sizeof missing, "missing-from-thread-%d.bin", result->id);
    result->ok = 1;
    for (int i = 0; i < 40; i++) {
        uint64_t size = 0;
        ftp_result rc = ftp_size(ftp, missing, &size);
        const char *msg = ftp_last_error_message();
        if (rc != FTP_ERR_PERMANENT || strstr(msg, missing) == NULL ||
            strstr(ftp_errmsg(ftp), missing) == NULL) {
            result->ok = 0;
        }
        if (ftp_noop(ftp) != FTP_OK || ftp_last_error_message()[0] != '\0') {
            result->ok = 0;
        }
    }
    ftp_close(ftp);
    return NULL;
}

static void test_threads(void) {
    pthread_t threads[2];
    struct thread_result results[2] = {{0, 1}, {0, 2}};
    for (int i = 0; i < 2; i++) {
        CHECK(pthread_create(&threads[i], NULL, worker, &results[i]) == 0);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(threads[i], NULL);
        CHECK(results[i].ok);
    }
}

int main(int argc, char **argv) {
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s HOST PORT USER PASSWORD [SERVER]\n", argv[0]);
        return 2;
    }
    host = argv[1];
    port = (uint16_t)atoi(argv[2]);
    user = argv[3];
    password = argv[4];
    if (argc == 6) {
        server = argv[5];
    }

    test_versions();
    ftp_client *ftp = connect_and_login();
    test_null_arguments(ftp);
    test_commands_and_transfers(ftp);
    test_callbacks_stop_and_reenter(ftp);
    test_production_layer(ftp);
    ftp_close(ftp);
    test_free_in_any_order();
    test_errors_without_thread_locals();
    test_threads();

    printf("c api: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
