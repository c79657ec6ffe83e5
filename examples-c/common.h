/*
 * Shared by the ftpc example programs: connecting from a URL, the password, progress display
 * and error reporting.
 *
 * Environment:
 *   FTP_PASSWORD   password for a URL that names a user but no password (otherwise the
 *                  program asks on the terminal)
 *   FTPC_CA_FILE   extra trusted CA certificates (PEM) for ftps:// and ftpes:// URLs
 */
#ifndef FTPC_EXAMPLES_COMMON_H
#define FTPC_EXAMPLES_COMMON_H

#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <ftpc.h>

/*
 * Server text is untrusted: a name, a banner or a reply may hold terminal escape sequences.
 * Prints `text` to `out` with every control character shown as '?'.
 */
static inline void print_untrusted(FILE *out, const char *text) {
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
    }
}

/* Prints the failure of `what`: the library's message, result class and server reply code. */
static inline void report_failure(const char *what, ftp_result rc) {
    fprintf(stderr, "%s failed: %s\n  (%s; server reply code %d)\n", what,
            ftp_last_error_message(), ftp_strerror(rc), ftp_last_reply_code());
}

/* Reads the password: FTP_PASSWORD, else a prompt on the terminal with echo off, else "". */
static inline void read_password(char *buf, size_t size) {
    const char *env = getenv("FTP_PASSWORD");
    buf[0] = '\0';
    if (env != NULL) {
        snprintf(buf, size, "%s", env);
        return;
    }
    if (!isatty(STDIN_FILENO)) {
        return;
    }
    struct termios old_mode, quiet;
    fprintf(stderr, "Password: ");
    fflush(stderr);
    int have_tty = tcgetattr(STDIN_FILENO, &old_mode) == 0;
    if (have_tty) {
        quiet = old_mode;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    if (fgets(buf, (int)size, stdin) == NULL) {
        buf[0] = '\0';
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    if (have_tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old_mode);
    }
    fprintf(stderr, "\n");
}

/* The options of the examples: FTPC_CA_FILE, 30 s timeouts. NULL after reporting a failure;
 * free with ftp_options_free. */
static inline ftp_options *example_options(void) {
    ftp_options *opts = ftp_options_new();
    if (opts == NULL) {
        fprintf(stderr, "out of memory\n");
        return NULL;
    }
    const char *ca = getenv("FTPC_CA_FILE");
    if (ca != NULL && ftp_options_set_tls_ca_file(opts, ca) != FTP_OK) {
        report_failure("FTPC_CA_FILE", ftp_last_error_code());
        ftp_options_free(opts);
        return NULL;
    }
    ftp_options_set_timeout_ms(opts, 30000);
    return opts;
}

/* A pool of sessions for `url` (none is opened yet). On success returns it and sets *path
 * (free with ftp_string_free); on failure reports it and returns NULL. */
static inline ftp_pool *pool_for_url(const char *url, char **path) {
    char password[256];
    read_password(password, sizeof password);
    ftp_options *opts = example_options();
    if (opts == NULL) {
        return NULL;
    }
    ftp_pool *pool = NULL;
    ftp_result rc = ftp_pool_new_url(url, password, opts, &pool, path);
    memset(password, 0, sizeof password);
    ftp_options_free(opts);
    if (rc != FTP_OK) {
        report_failure("pool", rc);
        return NULL;
    }
    return pool;
}

/* Connects to `url` and logs in. On success returns the session and sets *path (free with
 * ftp_string_free); on failure reports it and returns NULL. */
static inline ftp_client *connect_url(const char *url, char **path) {
    char password[256];
    read_password(password, sizeof password);
    ftp_options *opts = example_options();
    if (opts == NULL) {
        return NULL;
    }
    ftp_client *ftp = NULL;
    ftp_result rc = ftp_connect_url(url, password, opts, &ftp, path);
    memset(password, 0, sizeof password);
    ftp_options_free(opts);
    if (rc != FTP_OK) {
        report_failure("connect", rc);
        return NULL;
    }
    return ftp;
}

/* Progress: a live bar on a terminal, a plain line per 10% (or per 8 MiB of unknown total)
 * otherwise. Returns 0: never stops the transfer. */
struct progress_state {
    const char *label;
    int on_terminal;
    uint64_t last_reported;
};

static inline int show_progress(void *userdata, uint64_t transferred, int64_t total) {
    struct progress_state *state = userdata;
    if (state->on_terminal) {
        if (total > 0) {
            int width = 40;
            int filled = (int)((double)transferred / (double)total * width);
            fprintf(stderr, "\r%s [%.*s%*s] %3d%% %llu/%lld bytes", state->label, filled,
                    "########################################", width - filled, "",
                    (int)((double)transferred * 100.0 / (double)total),
                    (unsigned long long)transferred, (long long)total);
        } else {
            fprintf(stderr, "\r%s %llu bytes", state->label, (unsigned long long)transferred);
        }
        fflush(stderr);
        return 0;
    }
    uint64_t step = total > 0 ? (uint64_t)total / 10 : 8u << 20;
    if (step == 0 || transferred - state->last_reported >= step ||
        (total >= 0 && transferred == (uint64_t)total)) {
        if (total >= 0) {
            printf("%s: %llu of %lld bytes\n", state->label, (unsigned long long)transferred,
                   (long long)total);
        } else {
            printf("%s: %llu bytes\n", state->label, (unsigned long long)transferred);
        }
        state->last_reported = transferred;
    }
    return 0;
}

static inline void end_progress(struct progress_state *state) {
    if (state->on_terminal) {
        fprintf(stderr, "\n");
    }
}

/* The last component of a path. */
static inline const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

#endif
