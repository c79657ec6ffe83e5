/*
 * ftpls: lists a directory in columns: type, size, modification time (UTC), name.
 *
 *   ftpls [-v] URL          e.g. ftpls ftp://ftp.example.net/pub/
 *
 * Uses MLSD where the server offers it and parsed LIST otherwise (as for vsftpd).
 * See common.h for the environment.
 */
#include "common.h"

static const char *type_name(int32_t type) {
    switch (type) {
    case FTP_ENTRY_FILE: return "file";
    case FTP_ENTRY_DIR: return "dir";
    case FTP_ENTRY_LINK: return "link";
    default: return "other";
    }
}

int main(int argc, char **argv) {
    argc = take_verbose(argc, argv);
    if (argc != 2) {
        fprintf(stderr, "usage: %s [-v] URL\n", argv[0]);
        return 2;
    }
    char *path = NULL;
    ftp_client *ftp = connect_url(argv[1], &path);
    if (ftp == NULL) {
        return 1;
    }
    bool has_mlsd = false;
    ftp_result rc = ftp_feat_has(ftp, "MLST", &has_mlsd);
    ftp_listing *listing = NULL;
    if (rc == FTP_OK) {
        rc = ftp_listing_open(ftp, path, has_mlsd ? FTP_LISTING_MLSD : FTP_LISTING_LIST, &listing);
    }
    int status = 0;
    if (rc != FTP_OK) {
        report_failure("listing", rc);
        status = 1;
    }
    while (listing != NULL) {
        const ftp_entry *entry = NULL;
        rc = ftp_listing_next(listing, &entry);
        if (rc == FTP_DONE) {
            break;
        }
        if (rc == FTP_ERR_PROTOCOL) {
            /* The listing goes on, but it is not complete: say so in the exit status. */
            fprintf(stderr, "skipped a line: %s\n", ftp_last_error_message());
            status = 1;
            continue;
        }
        if (rc != FTP_OK) {
            report_failure("listing", rc);
            status = 1;
            break;
        }
        int32_t type = ftp_entry_type(entry);
        if (type == FTP_ENTRY_CURRENT_DIR || type == FTP_ENTRY_PARENT_DIR) {
            continue;
        }
        char size[32] = "-";
        uint64_t bytes = 0;
        if (ftp_entry_size(entry, &bytes) == FTP_OK) {
            snprintf(size, sizeof size, "%llu", (unsigned long long)bytes);
        }
        char when[32] = "-";
        int64_t seconds = 0;
        if (ftp_entry_modified(entry, &seconds) == FTP_OK) {
            time_t t = (time_t)seconds;
            struct tm tm;
            if (gmtime_r(&t, &tm) != NULL) {
                strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
            }
        }
        printf("%-5s %12s  %-16s  ", type_name(type), size, when);
        print_untrusted(stdout, ftp_entry_name(entry));
        printf("\n");
    }
    ftp_listing_close(listing);
    ftp_string_free(path);
    ftp_close(ftp);
    return status;
}
