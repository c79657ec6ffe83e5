/*
 * ftpget: downloads one file.
 *
 *   ftpget [-v] URL [LOCAL] e.g. ftpget ftpes://alice@ftp.example.net/pub/file.tar.gz
 *
 * The file is written to LOCAL (default: the URL's last path component). Progress shows as a
 * bar on a terminal and as plain lines otherwise. See common.h for the environment.
 */
#include "common.h"

int main(int argc, char **argv) {
    argc = take_verbose(argc, argv);
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s [-v] URL [LOCAL]\n", argv[0]);
        return 2;
    }
    char *path = NULL;
    ftp_client *ftp = connect_url(argv[1], &path);
    if (ftp == NULL) {
        return 1;
    }
    int status = 0;
    const char *local = argc == 3 ? argv[2] : base_name(path);
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
