/*
 * ftpget: downloads one file.
 *
 *   ftpget [-v] [--segments N] URL [LOCAL]   e.g. ftpget ftpes://alice@example.net/pub/f.gz
 *
 * The file is written to LOCAL (default: the URL's last path component). With --segments N
 * it comes over up to N connections at once, each reading a byte range (ftp_pool_*): for a
 * server that limits the speed of each connection. Progress shows as a bar on a terminal and
 * as plain lines otherwise. See common.h for the environment.
 */
#include "common.h"

static int segmented(const char *url, const char *local_arg, unsigned segments) {
    char *path = NULL;
    ftp_pool *pool = pool_for_url(url, &path);
    if (pool == NULL) {
        return 1;
    }
    int status = 0;
    const char *local = local_arg != NULL ? local_arg : base_name(path);
    if (path[0] == '\0' || local[0] == '\0') {
        fprintf(stderr, "the URL names no file to download\n");
        status = 2;
    } else {
        struct progress_state progress = {"download", isatty(STDERR_FILENO), 0, 0, 0, 0};
        uint32_t connections = 0;
        ftp_result rc = ftp_pool_set_max_sessions(pool, segments);
        if (rc == FTP_OK) {
            rc = ftp_pool_download_segmented(pool, path, local, segments, show_progress,
                                             &progress, &connections);
        }
        end_progress(&progress);
        if (rc != FTP_OK) {
            report_failure("download", rc);
            status = 1;
        } else {
            printf("saved %s (%u connections)\n", local, (unsigned)connections);
        }
    }
    ftp_string_free(path);
    ftp_pool_free(pool);
    return status;
}

int main(int argc, char **argv) {
    argc = take_verbose(argc, argv);
    unsigned segments = 0;
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "--segments") == 0) {
        segments = (unsigned)strtoul(argv[2], NULL, 10);
        first = 3;
        if (segments == 0) {
            fprintf(stderr, "--segments needs a number of connections, at least 1\n");
            return 2;
        }
    }
    if (argc - first < 1 || argc - first > 2) {
        fprintf(stderr, "usage: %s [-v] [--segments N] URL [LOCAL]\n", argv[0]);
        return 2;
    }
    const char *url = argv[first];
    const char *local_arg = argc - first == 2 ? argv[first + 1] : NULL;
    if (segments > 0) {
        return segmented(url, local_arg, segments);
    }
    char *path = NULL;
    ftp_client *ftp = connect_url(url, &path);
    if (ftp == NULL) {
        return 1;
    }
    int status = 0;
    const char *local = local_arg != NULL ? local_arg : base_name(path);
    if (path[0] == '\0' || local[0] == '\0') {
        fprintf(stderr, "the URL names no file to download\n");
        status = 2;
    } else {
        struct progress_state progress = {"download", isatty(STDERR_FILENO), 0, 0, 0, 0};
        ftp_result rc = ftp_retr_file(ftp, path, local, false, show_progress, &progress);
        end_progress(&progress);
        if (rc != FTP_OK) {
            report_failure("download", rc);
            status = 1;
        } else {
            printf("saved %s\n", local);
        }
    }
    ftp_string_free(path);
    ftp_close(ftp);
    return status;
}
