/*
 * Shared by the ftpc example programs: connecting from a URL, the password, progress display
 * (a bar with rate and time left on a terminal, plain lines otherwise),
 * the protocol trace (-v) and error reporting.
 *
 * -v (first argument) prints the protocol trace on stderr: every command and reply, data
 * connections, TLS handshakes, with the time (UTC); passwords are masked.
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

/* -v given: the protocol trace goes to stderr. */
static int trace_wanted = 0;

/* Takes a leading -v out of the arguments (turning the trace on); returns the new argc. */
static inline int take_verbose(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "-v") == 0) {
        trace_wanted = 1;
        memmove(&argv[1], &argv[2], (size_t)(argc - 1) * sizeof *argv); /* argv[argc] too */
        return argc - 1;
    }
    return argc;
}

/* The trace callback: each event on stderr after its UTC time, as curl -v shows it. Passwords
 * arrive masked; reply lines are server text, printed with control characters replaced. */
static inline int print_trace(void *userdata, int32_t kind, int64_t time_us, const char *line) {
    (void)userdata;
    time_t seconds = (time_t)(time_us / 1000000);
    struct tm utc;
    if (gmtime_r(&seconds, &utc) != NULL) {
        fprintf(stderr, "%02d:%02d:%02d.%06ld ", utc.tm_hour, utc.tm_min, utc.tm_sec,
                (long)(time_us % 1000000));
    }
    if (kind == FTP_TRACE_REPLY) {
        print_untrusted(stderr, line);
    } else {
        fputs(line, stderr);
    }
    fputc('\n', stderr);
    return 0;
}

/* The options of the examples: FTPC_CA_FILE, 30 s timeouts, the trace with -v. NULL after reporting a failure;
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
    if (trace_wanted) {
        ftp_options_set_trace_callback(opts, print_trace, NULL);
    }
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

/* Progress, as curl and wget show it: on a terminal a bar redrawn in place with the rate and
 * the time left; otherwise a plain line per 10% (or per 8 MiB of an unknown total), so logs
 * stay readable. One state per transfer (or per sync run, for its bytes across all files). */
struct progress_state {
    const char *label;
    int on_terminal;
    uint64_t last_reported; /* plain lines: the count of the last line */
    double started;         /* seconds (monotonic) of the first report; 0 before it */
    uint64_t first_done;    /* the count then: a resumed transfer's rate counts only new bytes */
    double last_drawn;      /* terminal: when the bar was last drawn */
};

static inline double monotonic_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* "12.3 MB/s", "850 kB/s", "17 B/s" (decimal units, as curl shows them). */
static inline void format_rate(char *out, size_t size, double bytes_per_second) {
    if (bytes_per_second >= 1e6) {
        snprintf(out, size, "%.1f MB/s", bytes_per_second / 1e6);
    } else if (bytes_per_second >= 1e3) {
        snprintf(out, size, "%.0f kB/s", bytes_per_second / 1e3);
    } else {
        snprintf(out, size, "%.0f B/s", bytes_per_second);
    }
}

/* "0:07", "1:02:03", or "--:--" when unknown. */
static inline void format_eta(char *out, size_t size, double seconds) {
    if (seconds < 0 || seconds > 360000) {
        snprintf(out, size, "--:--");
        return;
    }
    long s = (long)(seconds + 0.5);
    if (s >= 3600) {
        snprintf(out, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    } else {
        snprintf(out, size, "%ld:%02ld", s / 60, s % 60);
    }
}

/* Reports `done` of `total` bytes (-1: unknown), with `note` (such as "3/10 files", or NULL)
 * after the label. */
static inline void report_progress(struct progress_state *state, uint64_t done, int64_t total,
                                   const char *note) {
    double now = monotonic_seconds();
    if (state->started == 0) {
        state->started = now;
        state->first_done = done;
    }
    double elapsed = now - state->started;
    double rate = elapsed > 0.05 ? (double)(done - state->first_done) / elapsed : 0;
    int finished = total >= 0 && done >= (uint64_t)total;
    char rate_text[32], eta_text[32];
    format_rate(rate_text, sizeof rate_text, rate);
    double left = total >= 0 && rate > 0 ? (double)((uint64_t)total - done) / rate : -1;
    format_eta(eta_text, sizeof eta_text, finished ? 0 : left);
    int percent = total > 0 ? (int)((double)done * 100.0 / (double)total) : 100;
    if (state->on_terminal) {
        if (!finished && now - state->last_drawn < 0.1) {
            return; /* at most ten redraws a second */
        }
        state->last_drawn = now;
        if (total >= 0) {
            int width = 30;
            int filled = total > 0 ? (int)((double)done / (double)total * width) : width;
            fprintf(stderr, "\r%s%s%s [%.*s%*s] %3d%% %s %s left\033[K", state->label,
                    note ? " " : "", note ? note : "", filled,
                    "##############################", width - filled, "", percent, rate_text,
                    eta_text);
        } else {
            fprintf(stderr, "\r%s%s%s %llu bytes %s\033[K", state->label, note ? " " : "",
                    note ? note : "", (unsigned long long)done, rate_text);
        }
        fflush(stderr);
        return;
    }
    uint64_t step = total > 0 ? (uint64_t)total / 10 : 8u << 20;
    if (step == 0 || done - state->last_reported >= step || finished) {
        if (finished && state->last_reported == done && done > 0) {
            return; /* the end was reported already */
        }
        printf("%s%s%s: ", state->label, note ? " " : "", note ? note : "");
        if (total >= 0) {
            printf("%llu of %lld bytes (%d%%), %s, %s left\n", (unsigned long long)done,
                   (long long)total, percent, rate_text, eta_text);
        } else {
            printf("%llu bytes, %s\n", (unsigned long long)done, rate_text);
        }
        state->last_reported = done;
    }
}

/* A progress callback for ftp_retr_file, ftp_stor_file and the like. Returns 0: never stops
 * the transfer. */
static inline int show_progress(void *userdata, uint64_t transferred, int64_t total) {
    report_progress(userdata, transferred, total, NULL);
    return 0;
}

static inline void end_progress(struct progress_state *state) {
    if (state->on_terminal && state->started != 0) {
        fprintf(stderr, "\n");
    }
}

/* The last component of a path. */
static inline const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

#endif
