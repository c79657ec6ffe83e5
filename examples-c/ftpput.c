/*
 * ftpput: uploads one file.
 *
 *   ftpput [-v] LOCAL URL   e.g. ftpput report.pdf ftps://alice@ftp.example.net/incoming/
 *
 * A URL path ending in '/' (or empty) names a directory: the file keeps its local name there.
 * See common.h for the environment.
 */
#include "common.h"

int main(int argc, char **argv) {
    argc = take_verbose(argc, argv);
    if (argc != 3) {
        fprintf(stderr, "usage: %s [-v] LOCAL URL\n", argv[0]);
        return 2;
    }
    char *path = NULL;
    ftp_client *ftp = connect_url(argv[2], &path);
    if (ftp == NULL) {
        return 1;
    }
    size_t len = strlen(path);
    const char *name = base_name(argv[1]);
    char *remote = malloc(len + strlen(name) + 1);
    int status = 0;
    if (remote == NULL) {
        fprintf(stderr, "out of memory\n");
        status = 1;
    } else {
        strcpy(remote, path);
        if (len == 0 || path[len - 1] == '/') {
            strcat(remote, name);
        }
        struct progress_state progress = {"upload", isatty(STDERR_FILENO), 0, 0, 0, 0};
        ftp_result rc = ftp_stor_file(ftp, argv[1], remote, show_progress, &progress);
        end_progress(&progress);
        if (rc != FTP_OK) {
            report_failure("upload", rc);
            status = 1;
        } else {
            printf("stored %s\n", remote);
        }
        free(remote);
    }
    ftp_string_free(path);
    ftp_close(ftp);
    return status;
}
