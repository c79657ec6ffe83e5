/*
 * ftpsync: mirrors a local directory to the server (or, with --download, the server to a
 * local directory), recursively, with retries on temporary failures.
 *
 *   ftpsync [-v] [--delete] [--dry-run] [--verify] [--parallel N] LOCAL_DIR URL
 *   ftpsync [-v] --download [--delete] [--dry-run] [--verify] [--parallel N] URL LOCAL_DIR
 *
 * Uploads what is missing or changed, and with --delete removes what the other side should
 * no longer have. --dry-run prints the plan and changes nothing. --verify checks every file
 * moved by its hash (where the server computes one). --parallel N works with up to N sessions
 * at once (ftp_pool_sync, ftp_pool_mirror): subdirectories in parallel. On a terminal a bar
 * shows the run's bytes across all files, with the rate and the time left (one session). See
 * common.h for the environment.
 */
#include "common.h"

static const char *action_name(int32_t action) {
    switch (action) {
    case FTP_SYNC_UPLOADED: return "uploaded";
    case FTP_SYNC_DOWNLOADED: return "downloaded";
    case FTP_SYNC_SKIPPED: return "up to date";
    case FTP_SYNC_DELETED: return "deleted";
    case FTP_SYNC_CREATED_DIRECTORY: return "created dir";
    default: return "FAILED";
    }
}

struct run {
    bool dry_run;
    struct progress_state progress; /* the run's bytes across all files */
};

/* One line per path; FTP_SYNC_PROGRESS events (FTP_SYNC_PROGRESS_EVENTS) draw the run's bar
 * on a terminal. */
static int on_event(void *userdata, const ftp_sync_event *event) {
    struct run *run = userdata;
    int32_t action = ftp_sync_event_action(event);
    if (action == FTP_SYNC_PROGRESS) {
        if (run->progress.on_terminal) {
            char files[64];
            snprintf(files, sizeof files, "%llu/%llu files",
                     (unsigned long long)ftp_sync_event_files_done(event),
                     (unsigned long long)ftp_sync_event_files_total(event));
            report_progress(&run->progress, ftp_sync_event_bytes_done(event),
                            (int64_t)ftp_sync_event_bytes_total(event), files);
        }
        return 0;
    }
    if (run->progress.on_terminal && run->progress.started != 0) {
        fprintf(stderr, "\r\033[K"); /* the bar gives way to the line */
        fflush(stderr);
        run->progress.last_drawn = 0;
    }
    uint64_t bytes = ftp_sync_event_bytes(event);
    const char *message = ftp_sync_event_message(event);
    printf("%s[%llu/%llu] %-11s ", run->dry_run ? "(dry run) " : "",
           (unsigned long long)ftp_sync_event_files_done(event),
           (unsigned long long)ftp_sync_event_files_total(event), action_name(action));
    print_untrusted(stdout, ftp_sync_event_path(event));
    if (bytes > 0) {
        printf(" (%llu bytes)", (unsigned long long)bytes);
    }
    if (action == FTP_SYNC_FAILED) {
        printf(": %s (%s)", message, ftp_strerror(ftp_sync_event_error(event)));
    } else if (message[0] != '\0') {
        printf(": %s", message); /* why a path was skipped, when not up to date */
    }
    printf("\n");
    fflush(stdout);
    return 0;
}

/* With --parallel: a pool of `workers` sessions. */
static int run_parallel(const char *url, const char *local, bool download, uint32_t flags,
                        unsigned workers, struct run *run) {
    char *path = NULL;
    ftp_pool *pool = pool_for_url(url, &path);
    if (pool == NULL) {
        return 1;
    }
    const char *remote = path[0] != '\0' ? path : ".";
    ftp_result rc = ftp_pool_set_max_sessions(pool, workers);
    if (rc == FTP_OK) {
        rc = download
            ? ftp_pool_mirror(pool, remote, local, workers, flags, on_event, run)
            : ftp_pool_sync(pool, local, remote, workers, flags, on_event, run);
    }
    int status = 0;
    if (rc != FTP_OK) {
        report_failure(download ? "mirror" : "sync", rc);
        status = 1;
    }
    ftp_string_free(path);
    ftp_pool_free(pool);
    return status;
}

static int on_retry(void *userdata, uint32_t attempt, ftp_result error, int reply_code,
                    const char *message, uint32_t delay_ms) {
    (void)userdata;
    fprintf(stderr, "attempt %u failed (%s, reply %d): %s; retrying in %u ms\n", attempt,
            ftp_strerror(error), reply_code, message, delay_ms);
    return 0;
}

int main(int argc, char **argv) {
    bool remove = false, dry_run = false, download = false, verify = false;
    unsigned parallel = 0;
    argc = take_verbose(argc, argv);
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--delete") == 0) {
            remove = true;
        } else if (strcmp(argv[i], "--dry-run") == 0) {
            dry_run = true;
        } else if (strcmp(argv[i], "--download") == 0) {
            download = true;
        } else if (strcmp(argv[i], "--verify") == 0) {
            verify = true;
        } else if (strcmp(argv[i], "--parallel") == 0 && i + 1 < argc) {
            parallel = (unsigned)strtoul(argv[++i], NULL, 10);
            if (parallel == 0) {
                fprintf(stderr, "--parallel needs a number of sessions, at least 1\n");
                return 2;
            }
        } else {
            break;
        }
    }
    if (argc - i != 2) {
        fprintf(stderr,
                "usage: %s [-v] [--delete] [--dry-run] [--verify] [--parallel N] LOCAL_DIR URL\n"
                "       %s [-v] --download [--delete] [--dry-run] [--verify] [--parallel N] URL "
                "LOCAL_DIR\n",
                argv[0], argv[0]);
        return 2;
    }
    const char *local = download ? argv[i + 1] : argv[i];
    const char *url = download ? argv[i] : argv[i + 1];
    struct run run = {dry_run, {download ? "mirror" : "sync", isatty(STDERR_FILENO), 0, 0, 0, 0}};
    uint32_t flags = (remove ? FTP_SYNC_DELETE : 0) | (dry_run ? FTP_SYNC_DRY_RUN : 0);
    if (parallel > 0) {
        flags |= verify ? FTP_SYNC_VERIFY : 0;
        return run_parallel(url, local, download, flags, parallel, &run);
    }
    char *path = NULL;
    ftp_client *ftp = connect_url(url, &path);
    if (ftp == NULL) {
        return 1;
    }
    ftp_set_retry_policy(ftp, 5, 500, 200, 10000, 20);
    ftp_set_retry_callback(ftp, on_retry, NULL);
    const char *remote = path[0] != '\0' ? path : ".";
    flags |= (verify ? FTP_SYNC_VERIFY : 0) | FTP_SYNC_PROGRESS_EVENTS;
    ftp_result rc = download ? ftp_mirror(ftp, remote, local, flags, on_event, &run)
                             : ftp_sync(ftp, local, remote, flags, on_event, &run);
    int status = 0;
    if (rc != FTP_OK) {
        report_failure(download ? "mirror" : "sync", rc);
        status = 1;
    }
    ftp_string_free(path);
    ftp_close(ftp);
    return status;
}
