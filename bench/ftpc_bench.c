/*
 * The ftpc side of the benchmark (bench/bench.py): one transfer, timed, printed as
 * "BYTES SECONDS".
 *
 *   ftpc_bench download URL          RETR into a null sink
 *   ftpc_bench download-file URL PATH  RETR into a file (open O_WRONLY|O_CREAT|O_TRUNC,
 *                                    then ftp_retr_fd); prints the file's size
 *   ftpc_bench upload URL FILE       STOR from a file (page cache)
 *   ftpc_bench many URL COUNT        RETR f0000.bin .. over one session
 *   ftpc_bench tcp HOST PORT         raw TCP: read a connection to its end (the ceiling)
 *
 * FTP_PASSWORD and FTPC_CA_FILE as in examples-c; FTPC_BLOCK_SIZE overrides the library's
 * block size (64 KiB) for experiments; FTPC_ZERO_COPY_UPLOAD (any value) sends plain uploads
 * with sendfile(2) (ftp_options_set_zero_copy_upload, with SIGPIPE ignored).
 */
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ftpc.h>

static uint64_t received;

static int discard(void *userdata, const uint8_t *data, size_t len) {
    (void)userdata;
    (void)data;
    received += len;
    return 0;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, ftp_result rc) {
    fprintf(stderr, "%s: %s (%s, reply %d)\n", what, ftp_last_error_message(), ftp_strerror(rc),
            ftp_last_reply_code());
    exit(1);
}

static int raw_tcp(const char *host, const char *port) {
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0) {
        return 1;
    }
    int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
        perror("connect");
        return 1;
    }
    freeaddrinfo(res);
    static char buf[64 * 1024];
    uint64_t total = 0;
    double start = now();
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        total += (uint64_t)n;
    }
    printf("%llu %.6f\n", (unsigned long long)total, now() - start);
    close(fd);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s download|download-file|upload|many URL [PATH|FILE|COUNT]\n",
                argv[0]);
        return 2;
    }
    const char *mode = argv[1];
    if (strcmp(mode, "tcp") == 0 && argc == 4) {
        return raw_tcp(argv[2], argv[3]);
    }
    const char *password = getenv("FTP_PASSWORD");
    const char *ca = getenv("FTPC_CA_FILE");
    ftp_options *opts = ftp_options_new();
    if (ca != NULL) {
        ftp_options_set_tls_ca_file(opts, ca);
    }
    const char *block = getenv("FTPC_BLOCK_SIZE");
    if (block != NULL) {
        ftp_options_set_block_size(opts, (size_t)atol(block));
    }
    if (getenv("FTPC_ZERO_COPY_UPLOAD") != NULL) {
        /* sendfile(2) for plain uploads: the library uses it only while SIGPIPE is ignored. */
        signal(SIGPIPE, SIG_IGN);
        ftp_options_set_zero_copy_upload(opts, true);
    }
    const char *rate = getenv("FTPC_MAX_RATE"); /* bytes per second, both directions */
    if (rate != NULL) {
        ftp_options_set_max_download_rate(opts, strtoull(rate, NULL, 10));
        ftp_options_set_max_upload_rate(opts, strtoull(rate, NULL, 10));
    }
    ftp_client *ftp = NULL;
    char *path = NULL;
    double start = now();
    ftp_result rc = ftp_connect_url(argv[2], password ? password : "", opts, &ftp, &path);
    ftp_options_free(opts);
    if (rc != FTP_OK) {
        die("connect", rc);
    }
    uint64_t bytes = 0;
    if (strcmp(mode, "download") == 0) {
        start = now();
        rc = ftp_retr(ftp, path, 0, discard, NULL, NULL);
        bytes = received;
    } else if (strcmp(mode, "download-file") == 0 && argc == 4) {
        int fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) {
            perror(argv[3]);
            return 1;
        }
        start = now();
        rc = ftp_retr_fd(ftp, path, fd, NULL, NULL);
        struct stat st;
        if (fstat(fd, &st) != 0) {
            perror(argv[3]);
            return 1;
        }
        bytes = (uint64_t)st.st_size;
        if (close(fd) != 0) {
            perror(argv[3]);
            return 1;
        }
    } else if (strcmp(mode, "upload") == 0 && argc == 4) {
        int fd = open(argv[3], O_RDONLY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0) {
            perror(argv[3]);
            return 1;
        }
        start = now();
        rc = ftp_stor_fd(ftp, fd, path, (int64_t)st.st_size, NULL, NULL);
        bytes = (uint64_t)st.st_size;
        close(fd);
    } else if (strcmp(mode, "many") == 0 && argc == 4) {
        int count = atoi(argv[3]);
        for (int i = 0; i < count && rc == FTP_OK; i++) {
            char name[64];
            snprintf(name, sizeof name, "%sf%04d.bin", path, i);
            rc = ftp_retr(ftp, name, 0, discard, NULL, NULL);
        }
        bytes = received;
    } else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    double seconds = now() - start;
    if (rc != FTP_OK) {
        die(mode, rc);
    }
    ftp_string_free(path);
    ftp_close(ftp);
    printf("%llu %.6f\n", (unsigned long long)bytes, seconds);
    return 0;
}
