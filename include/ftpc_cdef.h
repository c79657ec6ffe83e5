/* ftpc.h reduced for cffi's cdef and koffi: generated with ftpc.h; do not edit. */
#define FTP_PASSIVE_AUTO 0
#define FTP_PASSIVE_EPSV 1
#define FTP_PASSIVE_PASV 2
#define FTP_TLS_NONE 0
#define FTP_TLS_TRY 1
#define FTP_TLS_CONTROL 2
#define FTP_TLS_ALL 3
#define FTP_TLS_IMPLICIT 4
#define FTP_PROT_PRIVATE 0
#define FTP_PROT_CLEAR 1
#define FTP_TLS_VERSION_1_2 12
#define FTP_TLS_VERSION_1_3 13
#define FTP_TYPE_BINARY 0
#define FTP_TYPE_ASCII 1
#define FTP_ENTRY_FILE 0
#define FTP_ENTRY_DIR 1
#define FTP_ENTRY_CURRENT_DIR 2
#define FTP_ENTRY_PARENT_DIR 3
#define FTP_ENTRY_LINK 4
#define FTP_ENTRY_OTHER 5
#define FTP_TRACE_CONNECTED 0
#define FTP_TRACE_COMMAND 1
#define FTP_TRACE_REPLY 2
#define FTP_TRACE_DATA_CONNECTED 3
#define FTP_TRACE_DATA_ACCEPTED 4
#define FTP_TRACE_TLS_HANDSHAKE 5
#define FTP_TRACE_DATA_BYTES 6
#define FTP_TRACE_DATA_CLOSED 7
#define FTP_TRACE_CLOSE_NOTIFY_SENT 8
#define FTP_TRACE_CLOSE_NOTIFY_RECEIVED 9
#define FTP_LISTING_MLSD 0
#define FTP_LISTING_LIST 1
#define FTP_LIST_FORMAT_AUTO -1
#define FTP_LIST_FORMAT_MLSD 0
#define FTP_LIST_FORMAT_UNIX 1
#define FTP_LIST_FORMAT_DOS 2
#define FTP_LIST_FORMAT_VMS 3
#define FTP_LIST_FORMAT_MVS 4
#define FTP_LIST_FORMAT_OS400 5
#define FTP_LIST_FORMAT_TANDEM 6
#define FTP_LIST_FORMAT_NETWARE 7
#define FTP_LIST_FORMAT_EPLF 8
#define FTP_SYNC_UPLOADED 0
#define FTP_SYNC_DOWNLOADED 1
#define FTP_SYNC_SKIPPED 2
#define FTP_SYNC_DELETED 3
#define FTP_SYNC_CREATED_DIRECTORY 4
#define FTP_SYNC_FAILED 5
#define FTP_SYNC_DELETE 1
#define FTP_SYNC_DRY_RUN 2
#define FTP_SYNC_VERIFY 4
#define FTP_SYNC_PROGRESS_EVENTS 8
#define FTP_SYNC_PROGRESS 6
#define FTP_HASH_SHA256 0
#define FTP_HASH_SHA1 1
#define FTP_HASH_MD5 2
#define FTP_HASH_CRC32 3
#define FTP_FILE_RESUME 1
#define FTP_FILE_VERIFY 2
#define FTP_FILE_TEMPORARY_NAME 4
#define FTP_POOL_RESUME 1
#define FTP_POOL_TEMPORARY_NAME 2
typedef struct HashAlgorithm HashAlgorithm;
typedef struct ftp_client ftp_client;
typedef struct ftp_data ftp_data;
typedef struct ftp_dir_list ftp_dir_list;
typedef struct ftp_entry ftp_entry;
typedef struct ftp_listing ftp_listing;
typedef struct ftp_options ftp_options;
typedef struct ftp_pool ftp_pool;
typedef struct ftp_sync_event ftp_sync_event;
typedef int32_t ftp_result;
typedef int (*ftp_trace_cb)(void *userdata, int32_t kind, int64_t time_us, const char *line);
typedef int (*ftp_write_cb)(void *userdata, const uint8_t *data, size_t len);
typedef int (*ftp_progress_cb)(void *userdata, uint64_t transferred, int64_t total);
typedef int (*ftp_read_cb)(void *userdata, uint8_t *buffer, size_t capacity, size_t *out_len);
typedef int (*ftp_line_cb)(void *userdata, const char *line, size_t len);
typedef ftp_listing ftp_mlsd;
typedef int (*ftp_retry_cb)(void *userdata, uint32_t attempt, ftp_result error, int reply_code, const char *message, uint32_t delay_ms);
typedef int (*ftp_sync_cb)(void *userdata, int32_t action, const char *path, uint64_t bytes, uint64_t files_done, uint64_t files_total, ftp_result error, const char *message);
typedef int (*ftp_sync_event_cb)(void *userdata, const ftp_sync_event *event);
typedef int (*ftp_pool_progress_cb)(void *userdata, uint64_t files_done, uint64_t files_total, uint64_t bytes_done, uint64_t bytes_known);
#define FTP_OK 0
#define FTP_DONE 1
#define FTP_ERR_INVALID_ARGUMENT -1
#define FTP_ERR_TEMPORARY -2
#define FTP_ERR_PERMANENT -3
#define FTP_ERR_UNEXPECTED_REPLY -4
#define FTP_ERR_PROTOCOL -5
#define FTP_ERR_IO -6
#define FTP_ERR_TIMEOUT -7
#define FTP_ERR_TLS -8
#define FTP_ERR_ABORTED -9
#define FTP_ERR_BUSY -10
#define FTP_ERR_NOT_AVAILABLE -11
#define FTP_ERR_PANIC -12
#define FTP_ERR_INVALID_STATE -13
#define FTP_ERR_INTEGRITY -14
ftp_result ftp_last_error_code(void);
int ftp_last_reply_code(void);
const char *ftp_last_error_message(void);
const char *ftp_strerror(ftp_result code);
void ftp_string_free(char *s);
const char *ftp_version(void);
uint32_t ftp_version_number(void);
ftp_result ftp_options_errcode(const ftp_options *opts);
const char *ftp_options_errmsg(const ftp_options *opts);
ftp_options *ftp_options_new(void);
void ftp_options_free(ftp_options *opts);
ftp_result ftp_options_set_timeout_ms(ftp_options *opts, uint32_t ms);
ftp_result ftp_options_set_connect_timeout_ms(ftp_options *opts, uint32_t ms);
ftp_result ftp_options_set_reply_timeout_ms(ftp_options *opts, uint32_t ms);
ftp_result ftp_options_set_data_connect_timeout_ms(ftp_options *opts, uint32_t ms);
ftp_result ftp_options_set_accept_timeout_ms(ftp_options *opts, uint32_t ms);
ftp_result ftp_options_set_data_idle_timeout_ms(ftp_options *opts, uint32_t ms);
ftp_result ftp_options_set_keepalive_ms(ftp_options *opts, uint32_t ms);
ftp_result ftp_options_set_retry_policy(ftp_options *opts, uint32_t max_attempts, uint32_t initial_delay_ms, uint32_t multiplier_percent, uint32_t max_delay_ms, uint32_t jitter_percent);
ftp_result ftp_options_set_passive_mode(ftp_options *opts, int32_t mode);
ftp_result ftp_options_set_active(ftp_options *opts, const char *bind_address, const char *advertise_address, uint16_t port_min, uint16_t port_max, bool use_eprt);
ftp_result ftp_options_set_trust_pasv_address(ftp_options *opts, bool trust);
ftp_result ftp_options_set_tls(ftp_options *opts, int32_t level);
ftp_result ftp_options_set_tls_data_protection(ftp_options *opts, int32_t protection);
ftp_result ftp_options_set_list_format(ftp_options *opts, int32_t format);
ftp_result ftp_options_set_server_utc_offset_minutes(ftp_options *opts, int32_t minutes);
ftp_result ftp_options_set_tls_ca_file(ftp_options *opts, const char *path);
ftp_result ftp_options_add_tls_ca_pem(ftp_options *opts, const uint8_t *pem, size_t len);
ftp_result ftp_options_set_tls_ca_dir(ftp_options *opts, const char *path);
ftp_result ftp_options_set_tls_system_roots(ftp_options *opts, bool use_system);
ftp_result ftp_options_add_tls_pin(ftp_options *opts, const char *pin);
ftp_result ftp_options_set_tls_server_name(ftp_options *opts, const char *name);
ftp_result ftp_options_set_tls_client_cert(ftp_options *opts, const char *cert_path, const char *key_path);
ftp_result ftp_options_dangerous_disable_tls_verification(ftp_options *opts);
ftp_result ftp_options_set_tls_allow_missing_close_notify(ftp_options *opts, bool allow);
ftp_result ftp_options_set_tls_versions(ftp_options *opts, int32_t min, int32_t max);
ftp_result ftp_options_set_tls_ccc(ftp_options *opts, bool enable);
ftp_result ftp_options_set_block_size(ftp_options *opts, size_t bytes);
ftp_result ftp_options_set_zero_copy_upload(ftp_options *opts, bool enable);
ftp_result ftp_options_set_transfer_type(ftp_options *opts, int32_t transfer_type);
ftp_result ftp_options_set_utf8(ftp_options *opts, bool enable);
ftp_result ftp_options_set_max_listing_entries(ftp_options *opts, uint64_t max);
ftp_result ftp_options_set_max_listing_bytes(ftp_options *opts, uint64_t max);
ftp_result ftp_options_set_max_tree_depth(ftp_options *opts, uint32_t max);
ftp_result ftp_options_set_max_tree_entries(ftp_options *opts, uint64_t max);
ftp_result ftp_options_set_max_download_rate(ftp_options *opts, uint64_t bytes_per_sec);
ftp_result ftp_options_set_max_upload_rate(ftp_options *opts, uint64_t bytes_per_sec);
ftp_result ftp_options_set_proxy(ftp_options *opts, const char *url);
ftp_result ftp_options_set_trace_callback(ftp_options *opts, ftp_trace_cb trace_cb, void *userdata);
ftp_result ftp_set_trace_callback(ftp_client *ftp, ftp_trace_cb trace_cb, void *userdata);
ftp_result ftp_connect(const char *host, uint16_t port, const ftp_options *opts, ftp_client **out);
ftp_result ftp_new(const ftp_options *opts, ftp_client **out);
ftp_result ftp_open(ftp_client *ftp, const char *host, uint16_t port);
ftp_result ftp_open_url(ftp_client *ftp, const char *url, const char *password, char **out_path);
ftp_result ftp_connect_url(const char *url, const char *password, const ftp_options *opts, ftp_client **out, char **out_path);
ftp_result ftp_login(ftp_client *ftp, const char *user, const char *password, const char *account);
ftp_result ftp_quit(ftp_client *ftp);
void ftp_free(ftp_client *ftp);
void ftp_close(ftp_client *ftp);
const char *ftp_welcome(const ftp_client *ftp);
int ftp_reply_code(const ftp_client *ftp);
const char *ftp_reply_text(const ftp_client *ftp);
ftp_result ftp_errcode(const ftp_client *ftp);
int ftp_errreply(const ftp_client *ftp);
const char *ftp_errmsg(const ftp_client *ftp);
ftp_result ftp_pwd(ftp_client *ftp, char **out);
ftp_result ftp_cwd(ftp_client *ftp, const char *path);
ftp_result ftp_cdup(ftp_client *ftp);
ftp_result ftp_mkd(ftp_client *ftp, const char *path, char **out);
ftp_result ftp_rmd(ftp_client *ftp, const char *path);
ftp_result ftp_delete(ftp_client *ftp, const char *path);
ftp_result ftp_rename(ftp_client *ftp, const char *from, const char *to);
ftp_result ftp_size(ftp_client *ftp, const char *path, uint64_t *out);
ftp_result ftp_mdtm(ftp_client *ftp, const char *path, int64_t *out);
ftp_result ftp_mfmt(ftp_client *ftp, const char *path, int64_t unix_seconds);
ftp_result ftp_noop(ftp_client *ftp);
ftp_result ftp_cancel(const ftp_client *ftp);
ftp_result ftp_abort(ftp_client *ftp);
ftp_result ftp_quote(ftp_client *ftp, const char *command, int *out_code, char **out_text);
ftp_result ftp_feat_has(ftp_client *ftp, const char *feature, bool *out);
ftp_result ftp_feat_params(ftp_client *ftp, const char *feature, char **out);
ftp_result ftp_set_transfer_type(ftp_client *ftp, int32_t transfer_type);
ftp_result ftp_set_data_protection(ftp_client *ftp, int32_t protection);
ftp_result ftp_set_passive(ftp_client *ftp, bool passive);
ftp_result ftp_is_tls(ftp_client *ftp, bool *out);
ftp_result ftp_last_data_tls_resumed(ftp_client *ftp, bool *out);
ftp_result ftp_retr(ftp_client *ftp, const char *path, uint64_t offset, ftp_write_cb write_cb, ftp_progress_cb progress_cb, void *userdata);
ftp_result ftp_stor(ftp_client *ftp, const char *path, uint64_t offset, int64_t total, ftp_read_cb read_cb, ftp_progress_cb progress_cb, void *userdata);
ftp_result ftp_appe(ftp_client *ftp, const char *path, uint64_t offset, int64_t total, ftp_read_cb read_cb, ftp_progress_cb progress_cb, void *userdata);
ftp_result ftp_retr_lines(ftp_client *ftp, const char *command, ftp_line_cb line_cb, void *userdata);
ftp_result ftp_stor_lines(ftp_client *ftp, const char *path, ftp_read_cb read_cb, void *userdata);
ftp_result ftp_list(ftp_client *ftp, const char *path, ftp_line_cb line_cb, void *userdata);
ftp_result ftp_nlst(ftp_client *ftp, const char *path, ftp_line_cb line_cb, void *userdata);
ftp_result ftp_retr_file(ftp_client *ftp, const char *remote, const char *local_path, bool resume, ftp_progress_cb progress_cb, void *userdata);
ftp_result ftp_stor_file(ftp_client *ftp, const char *local_path, const char *remote, ftp_progress_cb progress_cb, void *userdata);
ftp_result ftp_retr_fd(ftp_client *ftp, const char *remote, int fd, ftp_progress_cb progress_cb, void *userdata);
ftp_result ftp_stor_fd(ftp_client *ftp, int fd, const char *remote, int64_t total, ftp_progress_cb progress_cb, void *userdata);
ftp_result ftp_data_open(ftp_client *ftp, const char *command, uint64_t offset, ftp_data **out);
ftp_result ftp_data_expected_size(ftp_data *data, uint64_t *out);
ftp_result ftp_data_read(ftp_data *data, uint8_t *buffer, size_t capacity, size_t *out_len);
ftp_result ftp_data_write(ftp_data *data, const uint8_t *buffer, size_t len);
void ftp_data_free(ftp_data *data);
ftp_result ftp_data_close(ftp_data *data);
ftp_result ftp_data_abort(ftp_data *data);
ftp_result ftp_listing_open(ftp_client *ftp, const char *path, int32_t kind, ftp_listing **out);
ftp_result ftp_listing_next(ftp_listing *it, const ftp_entry **out);
void ftp_listing_close(ftp_listing *it);
void ftp_listing_free(ftp_listing *it);
ftp_result ftp_mlsd_open(ftp_client *ftp, const char *path, ftp_mlsd **out);
ftp_result ftp_list_open(ftp_client *ftp, const char *path, ftp_mlsd **out);
ftp_result ftp_mlsd_next(ftp_mlsd *it, const ftp_entry **out);
void ftp_mlsd_close(ftp_mlsd *it);
ftp_result ftp_mlst(ftp_client *ftp, const char *path, ftp_entry **out);
void ftp_entry_free(ftp_entry *entry);
const char *ftp_entry_name(const ftp_entry *entry);
ftp_result ftp_entry_name_bytes(const ftp_entry *entry, const uint8_t **out_data, size_t *out_len);
int32_t ftp_entry_type(const ftp_entry *entry);
ftp_result ftp_entry_size(const ftp_entry *entry, uint64_t *out);
ftp_result ftp_entry_modified(const ftp_entry *entry, int64_t *out);
const char *ftp_entry_fact(const ftp_entry *entry, const char *name);
size_t ftp_entry_fact_count(const ftp_entry *entry);
ftp_result ftp_entry_fact_at(const ftp_entry *entry, size_t index, const char **out_name, const char **out_value);
ftp_result ftp_entry_raw(const ftp_entry *entry, const uint8_t **out_data, size_t *out_len);
int32_t ftp_entry_format(const ftp_entry *entry);
ftp_result ftp_set_retry_policy(ftp_client *ftp, uint32_t max_attempts, uint32_t initial_delay_ms, uint32_t multiplier_percent, uint32_t max_delay_ms, uint32_t jitter_percent);
ftp_result ftp_set_retry_callback(ftp_client *ftp, ftp_retry_cb retry_cb, void *userdata);
ftp_result ftp_download_file(ftp_client *ftp, const char *remote, const char *local_path, bool resume, ftp_progress_cb progress_cb, void *userdata);
ftp_result ftp_download_fd(ftp_client *ftp, const char *remote, int fd, ftp_progress_cb progress_cb, void *userdata);
ftp_result ftp_upload_file(ftp_client *ftp, const char *local_path, const char *remote, bool temporary_name, ftp_progress_cb progress_cb, void *userdata);
ftp_result ftp_upload_fd(ftp_client *ftp, int fd, const char *remote, ftp_progress_cb progress_cb, void *userdata);
ftp_result ftp_ensure_directory(ftp_client *ftp, const char *path);
ftp_result ftp_dir_list_open(ftp_client *ftp, const char *path, ftp_dir_list **out);
size_t ftp_dir_list_count(const ftp_dir_list *list);
const ftp_entry *ftp_dir_list_entry(const ftp_dir_list *list, size_t index);
void ftp_dir_list_free(ftp_dir_list *list);
ftp_result ftp_sync_directory(ftp_client *ftp, const char *local_dir, const char *remote_dir, bool delete_, bool dry_run, ftp_sync_cb sync_cb, void *userdata);
ftp_result ftp_mirror_directory(ftp_client *ftp, const char *remote_dir, const char *local_dir, bool delete_, bool dry_run, ftp_sync_cb sync_cb, void *userdata);
int32_t ftp_sync_event_action(const ftp_sync_event *event);
const char *ftp_sync_event_path(const ftp_sync_event *event);
uint64_t ftp_sync_event_bytes(const ftp_sync_event *event);
uint64_t ftp_sync_event_files_done(const ftp_sync_event *event);
uint64_t ftp_sync_event_files_total(const ftp_sync_event *event);
uint64_t ftp_sync_event_bytes_done(const ftp_sync_event *event);
uint64_t ftp_sync_event_bytes_total(const ftp_sync_event *event);
int64_t ftp_sync_event_file_size(const ftp_sync_event *event);
bool ftp_sync_event_dry_run(const ftp_sync_event *event);
ftp_result ftp_sync_event_error(const ftp_sync_event *event);
int ftp_sync_event_reply_code(const ftp_sync_event *event);
const char *ftp_sync_event_message(const ftp_sync_event *event);
ftp_result ftp_sync(ftp_client *ftp, const char *local_dir, const char *remote_dir, uint32_t flags, ftp_sync_event_cb event_cb, void *userdata);
ftp_result ftp_mirror(ftp_client *ftp, const char *remote_dir, const char *local_dir, uint32_t flags, ftp_sync_event_cb event_cb, void *userdata);
ftp_result ftp_hash(ftp_client *ftp, const char *path, int32_t algorithm, char **out_hex);
ftp_result ftp_download_file_ex(ftp_client *ftp, const char *remote, const char *local_path, uint32_t flags, ftp_progress_cb progress_cb, void *userdata);
ftp_result ftp_upload_file_ex(ftp_client *ftp, const char *local_path, const char *remote, uint32_t flags, ftp_progress_cb progress_cb, void *userdata);
ftp_result ftp_pool_new(const char *host, uint16_t port, const ftp_options *opts, const char *user, const char *password, ftp_pool **out);
ftp_result ftp_pool_new_url(const char *url, const char *password, const ftp_options *opts, ftp_pool **out, char **out_path);
ftp_result ftp_pool_set_max_sessions(ftp_pool *pool, uint32_t max);
ftp_result ftp_pool_download_files(ftp_pool *pool, const char *const *remote, const char *const *local, size_t count, uint32_t workers, uint32_t flags, ftp_pool_progress_cb progress_cb, void *userdata, ftp_result *results);
ftp_result ftp_pool_upload_files(ftp_pool *pool, const char *const *remote, const char *const *local, size_t count, uint32_t workers, uint32_t flags, ftp_pool_progress_cb progress_cb, void *userdata, ftp_result *results);
ftp_result ftp_pool_download_segmented(ftp_pool *pool, const char *remote, const char *local_path, uint32_t max_segments, ftp_progress_cb progress_cb, void *userdata, uint32_t *out_connections);
ftp_result ftp_pool_sync(ftp_pool *pool, const char *local_dir, const char *remote_dir, uint32_t workers, uint32_t flags, ftp_sync_event_cb event_cb, void *userdata);
ftp_result ftp_pool_mirror(ftp_pool *pool, const char *remote_dir, const char *local_dir, uint32_t workers, uint32_t flags, ftp_sync_event_cb event_cb, void *userdata);
ftp_result ftp_pool_cancel(const ftp_pool *pool);
ftp_result ftp_pool_errcode(const ftp_pool *pool);
int ftp_pool_errreply(const ftp_pool *pool);
const char *ftp_pool_errmsg(const ftp_pool *pool);
void ftp_pool_free(ftp_pool *pool);
