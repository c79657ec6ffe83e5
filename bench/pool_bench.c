/*
 * The ftpc side of the pool benchmarks (bench/pool_bench.py): one run, timed by the caller.
 *
 *   pool_bench files URL_DIR COUNT LOCAL_DIR SESSIONS   f0000.bin.. with ftp_pool_download_files
 *   pool_bench segmented URL LOCAL SEGMENTS             ftp_pool_download_segmented
 *   pool_bench mirror URL_DIR LOCAL_DIR WORKERS         ftp_pool_mirror
 *
 * SESSIONS, SEGMENTS and WORKERS of 1 are the one-session baselines (the same code paths
 * with one connection). FTP_PASSWORD and FTPC_CA_FILE as in examples-c.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ftpc.h>

static void die(const char *what, ftp_result rc) {
    fprintf(stderr, "%s: %s (%s, reply %d)\n", what, ftp_last_error_message(), ftp_strerror(rc),
            ftp_last_reply_code());
    exit(1);
}

static ftp_pool *pool_for(const char *url, char **path, unsigned sessions) {
    ftp_options *opts = ftp_options_new();
    const char *ca = getenv("FTPC_CA_FILE");
    if (opts == NULL || (ca != NULL && ftp_options_set_tls_ca_file(opts, ca) != FTP_OK)) {
        die("options", ftp_last_error_code());
    }
    ftp_pool *pool = NULL;
    ftp_result rc = ftp_pool_new_url(url, getenv("FTP_PASSWORD"), opts, &pool, path);
    ftp_options_free(opts);
    if (rc != FTP_OK) {
        die("pool", rc);
    }
    if ((rc = ftp_pool_set_max_sessions(pool, sessions)) != FTP_OK) {
        die("max sessions", rc);
    }
    return pool;
}

int main(int argc, char **argv) {
    if (argc == 6 && strcmp(argv[1], "files") == 0) {
        size_t count = strtoul(argv[3], NULL, 10);
        unsigned sessions = (unsigned)strtoul(argv[5], NULL, 10);
        char *dir = NULL;
        ftp_pool *pool = pool_for(argv[2], &dir, sessions);
        char **remote = calloc(count, sizeof *remote);
        char **local = calloc(count, sizeof *local);
        ftp_result *results = calloc(count, sizeof *results);
        if (remote == NULL || local == NULL || results == NULL) {
            return 1;
        }
        for (size_t i = 0; i < count; i++) {
            size_t rlen = strlen(dir) + 16, llen = strlen(argv[4]) + 16;
            remote[i] = malloc(rlen);
            local[i] = malloc(llen);
            if (remote[i] == NULL || local[i] == NULL) {
                return 1;
            }
            snprintf(remote[i], rlen, "%s/f%04zu.bin", dir, i);
            snprintf(local[i], llen, "%s/f%04zu.bin", argv[4], i);
        }
        ftp_result rc = ftp_pool_download_files(pool, (const char *const *)remote,
                                                (const char *const *)local, count, sessions, 0,
                                                NULL, NULL, results);
        if (rc != FTP_OK) {
            die("download_files", rc);
        }
        for (size_t i = 0; i < count; i++) {
            free(remote[i]);
            free(local[i]);
        }
        free(remote);
        free(local);
        free(results);
        ftp_string_free(dir);
        ftp_pool_free(pool);
        return 0;
    }
    if (argc == 5 && strcmp(argv[1], "segmented") == 0) {
        unsigned segments = (unsigned)strtoul(argv[4], NULL, 10);
        char *path = NULL;
        ftp_pool *pool = pool_for(argv[2], &path, segments);
        uint32_t used = 0;
        ftp_result rc = ftp_pool_download_segmented(pool, path, argv[3], segments, NULL, NULL,
                                                    &used);
        if (rc != FTP_OK) {
            die("download_segmented", rc);
        }
        printf("%u connections\n", (unsigned)used);
        ftp_string_free(path);
        ftp_pool_free(pool);
        return 0;
    }
    if (argc == 5 && strcmp(argv[1], "mirror") == 0) {
        unsigned workers = (unsigned)strtoul(argv[4], NULL, 10);
        char *path = NULL;
        ftp_pool *pool = pool_for(argv[2], &path, workers);
        ftp_result rc = ftp_pool_mirror(pool, path, argv[3], workers, 0, NULL, NULL);
        if (rc != FTP_OK) {
            die("mirror", rc);
        }
        ftp_string_free(path);
        ftp_pool_free(pool);
        return 0;
    }
    fprintf(stderr, "usage: see the comment at the top of bench/pool_bench.c\n");
    return 2;
}
