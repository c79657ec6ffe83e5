'use strict';
// The C library through koffi: one declaration per exported function, the constants, and the
// process-wide callback trampolines. Nothing here knows about promises or streams.

const fs = require('node:fs');
const path = require('node:path');
const koffi = require('koffi');

/** Where libftpc is looked for: FTPC_LIB (a file), FTPC_PREFIX/lib, then the loader's path. */
function libraryCandidates() {
  const out = [];
  if (process.env.FTPC_LIB) out.push(process.env.FTPC_LIB);
  if (process.env.FTPC_PREFIX) {
    out.push(path.join(process.env.FTPC_PREFIX, 'lib', 'libftpc.so.0'));
    out.push(path.join(process.env.FTPC_PREFIX, 'lib', 'libftpc.dylib'));
  }
  out.push(process.platform === 'darwin' ? 'libftpc.0.dylib' : 'libftpc.so.0');
  return out;
}

function loadLibrary() {
  const errors = [];
  for (const candidate of libraryCandidates()) {
    if (path.isAbsolute(candidate) && !fs.existsSync(candidate)) {
      errors.push(`${candidate}: no such file`);
      continue;
    }
    try {
      return koffi.load(candidate);
    } catch (err) {
      errors.push(`${candidate}: ${err.message}`);
    }
  }
  throw new Error('ftpc: cannot load libftpc (set FTPC_LIB to the library file or FTPC_PREFIX ' +
    'to its install prefix): ' + errors.join('; '));
}

// koffi runs an asynchronous call on a stack of its own, 128 KiB by default. Give the library
// more room (TLS handshakes, tree walks) when we are the first to load a library through koffi,
// which is the only time koffi accepts new settings; otherwise keep what the application chose.
try {
  const config = koffi.config();
  if (config.async_stack_size < 1024 * 1024) {
    config.async_stack_size = 1024 * 1024;
    koffi.config(config);
  }
} catch {
  // Settings are frozen once a library is loaded: fine, the default has been enough in tests.
}

const lib = loadLibrary();

koffi.opaque('ftp_client');
koffi.opaque('ftp_options');
koffi.opaque('ftp_data');
koffi.opaque('ftp_mlsd');
koffi.opaque('ftp_entry');
koffi.opaque('ftp_dir_list');
koffi.alias('ftp_result', 'int32_t');

const cb = {
  retry: koffi.proto('int ftp_retry_cb(void *userdata, uint32_t attempt, ftp_result error, int reply_code, const char *message, uint32_t delay_ms)'),
  progress: koffi.proto('int ftp_progress_cb(void *userdata, uint64_t transferred, int64_t total)'),
  sync: koffi.proto('int ftp_sync_cb(void *userdata, int32_t action, const char *path, uint64_t bytes, uint64_t files_done, uint64_t files_total, ftp_result error, const char *message)'),
  write: koffi.proto('int ftp_write_cb(void *userdata, const void *data, size_t len)'),
  read: koffi.proto('int ftp_read_cb(void *userdata, void *buffer, size_t capacity, void *out_len)'),
  line: koffi.proto('int ftp_line_cb(void *userdata, const void *line, size_t len)'),
};

const declarations = [
  // library and errors
  'const char *ftp_version(void)',
  'uint32_t ftp_version_number(void)',
  'const char *ftp_strerror(ftp_result code)',
  'void ftp_string_free(char *s)',
  // options
  'ftp_options *ftp_options_new(void)',
  'void ftp_options_free(ftp_options *opts)',
  'ftp_result ftp_options_errcode(const ftp_options *opts)',
  'const char *ftp_options_errmsg(const ftp_options *opts)',
  'ftp_result ftp_options_set_timeout_ms(ftp_options *opts, uint32_t ms)',
  'ftp_result ftp_options_set_connect_timeout_ms(ftp_options *opts, uint32_t ms)',
  'ftp_result ftp_options_set_reply_timeout_ms(ftp_options *opts, uint32_t ms)',
  'ftp_result ftp_options_set_data_connect_timeout_ms(ftp_options *opts, uint32_t ms)',
  'ftp_result ftp_options_set_accept_timeout_ms(ftp_options *opts, uint32_t ms)',
  'ftp_result ftp_options_set_data_idle_timeout_ms(ftp_options *opts, uint32_t ms)',
  'ftp_result ftp_options_set_keepalive_ms(ftp_options *opts, uint32_t ms)',
  'ftp_result ftp_options_set_retry_policy(ftp_options *opts, uint32_t max_attempts, uint32_t initial_delay_ms, uint32_t multiplier_percent, uint32_t max_delay_ms, uint32_t jitter_percent)',
  'ftp_result ftp_options_set_passive_mode(ftp_options *opts, int32_t mode)',
  'ftp_result ftp_options_set_active(ftp_options *opts, const char *bind_address, const char *advertise_address, uint16_t port_min, uint16_t port_max, bool use_eprt)',
  'ftp_result ftp_options_set_trust_pasv_address(ftp_options *opts, bool trust)',
  'ftp_result ftp_options_set_tls(ftp_options *opts, int32_t level)',
  'ftp_result ftp_options_set_tls_data_protection(ftp_options *opts, int32_t protection)',
  'ftp_result ftp_options_set_tls_ca_file(ftp_options *opts, const char *path)',
  'ftp_result ftp_options_set_tls_ca_dir(ftp_options *opts, const char *path)',
  'ftp_result ftp_options_set_tls_system_roots(ftp_options *opts, bool use_system)',
  'ftp_result ftp_options_add_tls_pin(ftp_options *opts, const char *pin)',
  'ftp_result ftp_options_set_tls_server_name(ftp_options *opts, const char *name)',
  'ftp_result ftp_options_set_tls_client_cert(ftp_options *opts, const char *cert_path, const char *key_path)',
  'ftp_result ftp_options_dangerous_disable_tls_verification(ftp_options *opts)',
  'ftp_result ftp_options_set_tls_allow_missing_close_notify(ftp_options *opts, bool allow)',
  'ftp_result ftp_options_set_tls_versions(ftp_options *opts, int32_t min, int32_t max)',
  'ftp_result ftp_options_set_tls_ccc(ftp_options *opts, bool enable)',
  'ftp_result ftp_options_set_block_size(ftp_options *opts, size_t bytes)',
  'ftp_result ftp_options_set_transfer_type(ftp_options *opts, int32_t transfer_type)',
  'ftp_result ftp_options_set_utf8(ftp_options *opts, bool enable)',
  'ftp_result ftp_options_set_max_listing_entries(ftp_options *opts, uint64_t max)',
  'ftp_result ftp_options_set_max_listing_bytes(ftp_options *opts, uint64_t max)',
  'ftp_result ftp_options_set_max_tree_depth(ftp_options *opts, uint32_t max)',
  'ftp_result ftp_options_set_max_tree_entries(ftp_options *opts, uint64_t max)',
  // session
  'ftp_result ftp_new(const ftp_options *opts, _Out_ ftp_client **out)',
  'ftp_result ftp_open(ftp_client *ftp, const char *host, uint16_t port)',
  'ftp_result ftp_open_url(ftp_client *ftp, const char *url, const char *password, _Out_ void **out_path)',
  'ftp_result ftp_login(ftp_client *ftp, const char *user, const char *password, const char *account)',
  'ftp_result ftp_quit(ftp_client *ftp)',
  'void ftp_free(ftp_client *ftp)',
  'const char *ftp_welcome(const ftp_client *ftp)',
  'int ftp_reply_code(const ftp_client *ftp)',
  'const char *ftp_reply_text(const ftp_client *ftp)',
  'ftp_result ftp_errcode(const ftp_client *ftp)',
  'int ftp_errreply(const ftp_client *ftp)',
  'const char *ftp_errmsg(const ftp_client *ftp)',
  // commands
  'ftp_result ftp_pwd(ftp_client *ftp, _Out_ void **out)',
  'ftp_result ftp_cwd(ftp_client *ftp, const char *path)',
  'ftp_result ftp_cdup(ftp_client *ftp)',
  'ftp_result ftp_mkd(ftp_client *ftp, const char *path, _Out_ void **out)',
  'ftp_result ftp_rmd(ftp_client *ftp, const char *path)',
  'ftp_result ftp_delete(ftp_client *ftp, const char *path)',
  'ftp_result ftp_rename(ftp_client *ftp, const char *from, const char *to)',
  'ftp_result ftp_size(ftp_client *ftp, const char *path, _Out_ uint64_t *out)',
  'ftp_result ftp_mdtm(ftp_client *ftp, const char *path, _Out_ int64_t *out)',
  'ftp_result ftp_mfmt(ftp_client *ftp, const char *path, int64_t unix_seconds)',
  'ftp_result ftp_noop(ftp_client *ftp)',
  'ftp_result ftp_abort(ftp_client *ftp)',
  'ftp_result ftp_quote(ftp_client *ftp, const char *command, _Out_ int *out_code, _Out_ void **out_text)',
  'ftp_result ftp_feat_has(ftp_client *ftp, const char *feature, _Out_ bool *out)',
  'ftp_result ftp_feat_params(ftp_client *ftp, const char *feature, _Out_ void **out)',
  'ftp_result ftp_set_transfer_type(ftp_client *ftp, int32_t transfer_type)',
  'ftp_result ftp_is_tls(ftp_client *ftp, _Out_ bool *out)',
  'ftp_result ftp_last_data_tls_resumed(ftp_client *ftp, _Out_ bool *out)',
  // transfers
  'ftp_result ftp_retr(ftp_client *ftp, const char *path, uint64_t offset, ftp_write_cb *write_cb, ftp_progress_cb *progress_cb, void *userdata)',
  'ftp_result ftp_stor(ftp_client *ftp, const char *path, uint64_t offset, int64_t total, ftp_read_cb *read_cb, ftp_progress_cb *progress_cb, void *userdata)',
  'ftp_result ftp_appe(ftp_client *ftp, const char *path, uint64_t offset, int64_t total, ftp_read_cb *read_cb, ftp_progress_cb *progress_cb, void *userdata)',
  'ftp_result ftp_retr_lines(ftp_client *ftp, const char *command, ftp_line_cb *line_cb, void *userdata)',
  'ftp_result ftp_list(ftp_client *ftp, const char *path, ftp_line_cb *line_cb, void *userdata)',
  'ftp_result ftp_nlst(ftp_client *ftp, const char *path, ftp_line_cb *line_cb, void *userdata)',
  'ftp_result ftp_retr_file(ftp_client *ftp, const char *remote, const char *local_path, bool resume, ftp_progress_cb *progress_cb, void *userdata)',
  'ftp_result ftp_stor_file(ftp_client *ftp, const char *local_path, const char *remote, ftp_progress_cb *progress_cb, void *userdata)',
  'ftp_result ftp_retr_fd(ftp_client *ftp, const char *remote, int fd, ftp_progress_cb *progress_cb, void *userdata)',
  'ftp_result ftp_stor_fd(ftp_client *ftp, int fd, const char *remote, int64_t total, ftp_progress_cb *progress_cb, void *userdata)',
  // data streams
  'ftp_result ftp_data_open(ftp_client *ftp, const char *command, uint64_t offset, _Out_ ftp_data **out)',
  'ftp_result ftp_data_expected_size(ftp_data *data, _Out_ uint64_t *out)',
  'ftp_result ftp_data_read(ftp_data *data, uint8_t *buffer, size_t capacity, _Out_ size_t *out_len)',
  'ftp_result ftp_data_write(ftp_data *data, const uint8_t *buffer, size_t len)',
  'ftp_result ftp_data_close(ftp_data *data)',
  'ftp_result ftp_data_abort(ftp_data *data)',
  // listings
  'ftp_result ftp_mlsd_open(ftp_client *ftp, const char *path, _Out_ ftp_mlsd **out)',
  'ftp_result ftp_list_open(ftp_client *ftp, const char *path, _Out_ ftp_mlsd **out)',
  'ftp_result ftp_mlsd_next(ftp_mlsd *it, _Out_ const ftp_entry **out)',
  'void ftp_mlsd_close(ftp_mlsd *it)',
  'ftp_result ftp_mlst(ftp_client *ftp, const char *path, _Out_ ftp_entry **out)',
  'void ftp_entry_free(ftp_entry *entry)',
  'ftp_result ftp_entry_name_bytes(const ftp_entry *entry, _Out_ void **out_data, _Out_ size_t *out_len)',
  'int32_t ftp_entry_type(const ftp_entry *entry)',
  'ftp_result ftp_entry_size(const ftp_entry *entry, _Out_ uint64_t *out)',
  'ftp_result ftp_entry_modified(const ftp_entry *entry, _Out_ int64_t *out)',
  'const char *ftp_entry_fact(const ftp_entry *entry, const char *name)',
  // production layer
  'ftp_result ftp_set_retry_policy(ftp_client *ftp, uint32_t max_attempts, uint32_t initial_delay_ms, uint32_t multiplier_percent, uint32_t max_delay_ms, uint32_t jitter_percent)',
  'ftp_result ftp_set_retry_callback(ftp_client *ftp, ftp_retry_cb *retry_cb, void *userdata)',
  'ftp_result ftp_download_file(ftp_client *ftp, const char *remote, const char *local_path, bool resume, ftp_progress_cb *progress_cb, void *userdata)',
  'ftp_result ftp_upload_file(ftp_client *ftp, const char *local_path, const char *remote, bool temporary_name, ftp_progress_cb *progress_cb, void *userdata)',
  'ftp_result ftp_ensure_directory(ftp_client *ftp, const char *path)',
  'ftp_result ftp_dir_list_open(ftp_client *ftp, const char *path, _Out_ ftp_dir_list **out)',
  'size_t ftp_dir_list_count(const ftp_dir_list *list)',
  'const ftp_entry *ftp_dir_list_entry(const ftp_dir_list *list, size_t index)',
  'void ftp_dir_list_free(ftp_dir_list *list)',
  'ftp_result ftp_sync_directory(ftp_client *ftp, const char *local_dir, const char *remote_dir, bool delete_, bool dry_run, ftp_sync_cb *sync_cb, void *userdata)',
  'ftp_result ftp_mirror_directory(ftp_client *ftp, const char *remote_dir, const char *local_dir, bool delete_, bool dry_run, ftp_sync_cb *sync_cb, void *userdata)',
];

const fn = {};
for (const decl of declarations) fn[decl.match(/(ftp_\w+)\(/)[1]] = lib.func(decl);

// ftp_cancel arrived after the first release of the C API: use it where the library has it.
let hasCancel = false;
try {
  fn.ftp_cancel = lib.func('ftp_result ftp_cancel(ftp_client *ftp)');
  hasCancel = true;
} catch {
  hasCancel = false;
}

const C = {
  FTP_OK: 0, FTP_DONE: 1,
  FTP_ERR_INVALID_ARGUMENT: -1, FTP_ERR_TEMPORARY: -2, FTP_ERR_PERMANENT: -3,
  FTP_ERR_UNEXPECTED_REPLY: -4, FTP_ERR_PROTOCOL: -5, FTP_ERR_IO: -6, FTP_ERR_TIMEOUT: -7,
  FTP_ERR_TLS: -8, FTP_ERR_ABORTED: -9, FTP_ERR_BUSY: -10, FTP_ERR_NOT_AVAILABLE: -11,
  FTP_ERR_PANIC: -12, FTP_ERR_INVALID_STATE: -13, FTP_ERR_INTEGRITY: -14,
  FTP_PASSIVE_AUTO: 0, FTP_PASSIVE_EPSV: 1, FTP_PASSIVE_PASV: 2,
  FTP_TLS_NONE: 0, FTP_TLS_TRY: 1, FTP_TLS_CONTROL: 2, FTP_TLS_ALL: 3, FTP_TLS_IMPLICIT: 4,
  FTP_PROT_PRIVATE: 0, FTP_PROT_CLEAR: 1,
  FTP_TLS_VERSION_1_2: 12, FTP_TLS_VERSION_1_3: 13,
  FTP_TYPE_BINARY: 0, FTP_TYPE_ASCII: 1,
  FTP_ENTRY_FILE: 0, FTP_ENTRY_DIR: 1, FTP_ENTRY_CURRENT_DIR: 2, FTP_ENTRY_PARENT_DIR: 3,
  FTP_ENTRY_LINK: 4, FTP_ENTRY_OTHER: 5,
  FTP_SYNC_UPLOADED: 0, FTP_SYNC_DOWNLOADED: 1, FTP_SYNC_SKIPPED: 2, FTP_SYNC_DELETED: 3,
  FTP_SYNC_CREATED_DIRECTORY: 4, FTP_SYNC_FAILED: 5,
};

// ---------------------------------------------------------------------------------------------
// Callbacks.
//
// Transfers run through koffi's `.async` on a worker thread; the library calls its callbacks on
// that thread, and koffi relays each call to the JS thread (queued on the event loop) while the
// worker waits for the answer. A JS callback must therefore never wait for the transfer itself
// (it cannot: it is synchronous).
//
// One trampoline per callback type is registered once for the life of the process
// (koffi.register), instead of one per call: a fixed six of koffi's 8192 slots, nothing to
// unregister per call, nothing to leak when a call throws. The C `userdata` is a small integer
// key into `contexts`, which holds the JS handlers of the calls in flight; a call removes its
// key when it settles (in a finally), so a late or stray callback finds nothing and stops.
const contexts = new Map();
let nextKey = 1n;

/** Registers `ctx` for the duration of one native call and returns its userdata key. */
function enter(ctx) {
  const key = nextKey++;
  contexts.set(key, ctx);
  return key;
}

function leave(key) {
  contexts.delete(key);
}

/**
 * Runs `body(ctx)` for the context at `ud` and answers the library: 0 to go on, 1 to stop. Any
 * exception is kept on the context (re-raised when the call returns) and stops the transfer
 * cleanly: an exception must never reach koffi, which would answer 0 ("continue") or report it
 * as an uncaught exception on the event loop.
 */
function guarded(ud, body) {
  const ctx = contexts.get(ud);
  if (!ctx || ctx.error !== undefined || ctx.stopped) return 1;
  try {
    return body(ctx) === false ? 1 : 0;
  } catch (err) {
    ctx.error = err;
    return 1;
  }
}

function copyBytes(ptr, len) {
  const n = Number(len);
  return n === 0 ? Buffer.alloc(0) : Buffer.from(new Uint8Array(koffi.view(ptr, n)));
}

const trampolines = {
  progress: koffi.register((ud, transferred, total) =>
    guarded(ud, (ctx) => ctx.progress && ctx.progress(transferred, total)), koffi.pointer(cb.progress)),
  // The block is borrowed for the call only: copied before returning.
  write: koffi.register((ud, data, len) =>
    guarded(ud, (ctx) => ctx.write(copyBytes(data, len))), koffi.pointer(cb.write)),
  read: koffi.register((ud, buffer, capacity, outLen) => guarded(ud, (ctx) => {
    const chunk = ctx.read(Number(capacity));
    const n = chunk ? chunk.length : 0;
    if (n > capacity) throw new RangeError('read callback returned more than capacity');
    if (n > 0) new Uint8Array(koffi.view(buffer, n)).set(chunk);
    koffi.encode(outLen, 'size_t', n);
    return true;
  }), koffi.pointer(cb.read)),
  line: koffi.register((ud, line, len) =>
    guarded(ud, (ctx) => ctx.line(copyBytes(line, len))), koffi.pointer(cb.line)),
  sync: koffi.register((ud, action, p, bytes, filesDone, filesTotal, error, message) =>
    guarded(ud, (ctx) => ctx.sync(action, p, bytes, filesDone, filesTotal, error, message)),
  koffi.pointer(cb.sync)),
  retry: koffi.register((ud, attempt, error, replyCode, message, delayMs) =>
    guarded(ud, (ctx) => ctx.retry(attempt, error, replyCode, message, delayMs)),
  koffi.pointer(cb.retry)),
};

/** Calls `f.async(...args)` and resolves with its result. */
function callAsync(f, ...args) {
  return new Promise((resolve, reject) => {
    f.async(...args, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** Reads and frees a library-owned string from an out-parameter. */
function takeString(ptr) {
  if (ptr === null || ptr === undefined || ptr === 0n) return '';
  try {
    return koffi.decode(ptr, 'char', -1);
  } finally {
    fn.ftp_string_free(ptr);
  }
}

function decodeBytes(ptr, len) {
  const n = Number(len);
  if (n === 0 || ptr === null || ptr === 0n) return Buffer.alloc(0);
  return Buffer.from(new Uint8Array(koffi.view(ptr, n)));
}

module.exports = {
  koffi, lib, fn, C, cb, trampolines, enter, leave, contexts, callAsync, takeString,
  decodeBytes, hasCancel: () => hasCancel,
};
