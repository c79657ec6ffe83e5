/*
 * TLS session resumption seen from C: ftp_last_data_tls_resumed before any data connection
 * (FTP_ERR_NOT_AVAILABLE), then after every one of 6 uploads and 6 downloads in a row on one
 * session (true: the server requires it). Prints "N passed, M failed".
 *
 *   tls_resume HOST PORT USER PASSWORD CA_FILE IMPLICIT(0|1)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ftpc.h>

static int passed, failed;

#define CHECK(cond, what)                                                                     \
    do {                                                                                      \
        if (cond) {                                                                           \
            passed++;                                                                         \
        } else {                                                                              \
            failed++;                                                                         \
            fprintf(stderr, "FAILED: %s (%s)\n", what, ftp_last_error_message());            \
        }                                                                                     \
    } while (0)

struct source {
    size_t left;
};

static int give(void *userdata, uint8_t *buffer, size_t capacity, size_t *out_len) {
    struct source *src = userdata;
    size_t n = src->left < capacity ? src->left : capacity;
    memset(buffer, 'r', n);
    src->left -= n;
    *out_len = n;
    return 0;
}

static int count(void *userdata, const uint8_t *data, size_t len) {
    (void)data;
    *(size_t *)userdata += len;
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: %s HOST PORT USER PASSWORD CA_FILE IMPLICIT\n", argv[0]);
        return 2;
    }
    ftp_options *opts = ftp_options_new();
    ftp_options_set_tls(opts, atoi(argv[6]) ? FTP_TLS_IMPLICIT : FTP_TLS_ALL);
    ftp_options_set_tls_ca_file(opts, argv[5]);
    ftp_options_set_timeout_ms(opts, 20000);
    ftp_client *ftp = NULL;
    ftp_result rc = ftp_connect(argv[1], (uint16_t)atoi(argv[2]), opts, &ftp);
    ftp_options_free(opts);
    CHECK(rc == FTP_OK, "connect");
    if (rc != FTP_OK) {
        printf("%d passed, %d failed\n", passed, failed);
        return 1;
    }
    CHECK(ftp_login(ftp, argv[3], argv[4], "") == FTP_OK, "login");
    bool resumed = true;
    CHECK(ftp_last_data_tls_resumed(ftp, &resumed) == FTP_ERR_NOT_AVAILABLE,
          "no TLS data connection yet");
    CHECK(ftp_last_data_tls_resumed(NULL, &resumed) == FTP_ERR_INVALID_ARGUMENT, "NULL ftp");
    CHECK(ftp_last_data_tls_resumed(ftp, NULL) == FTP_ERR_INVALID_ARGUMENT, "NULL out");
    char name[32];
    for (int i = 0; i < 6; i++) {
        snprintf(name, sizeof name, "resume-%d.bin", i);
        struct source src = {1000 + (size_t)i * 5000};
        CHECK(ftp_stor(ftp, name, 0, (int64_t)src.left, give, NULL, &src) == FTP_OK, "STOR");
        resumed = false;
        CHECK(ftp_last_data_tls_resumed(ftp, &resumed) == FTP_OK && resumed, "STOR resumed");
    }
    for (int i = 0; i < 6; i++) {
        snprintf(name, sizeof name, "resume-%d.bin", i);
        size_t got = 0;
        CHECK(ftp_retr(ftp, name, 0, count, NULL, &got) == FTP_OK, "RETR");
        CHECK(got == 1000 + (size_t)i * 5000, "RETR size");
        resumed = false;
        CHECK(ftp_last_data_tls_resumed(ftp, &resumed) == FTP_OK && resumed, "RETR resumed");
    }
    ftp_close(ftp);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
