'use strict';
// The Promise API. Every call that may touch the network runs through koffi's `.async` on a
// worker thread, so the event loop keeps running during transfers; calls on one Client are
// queued and run one at a time (a C handle is used by one thread at a time).

const fs = require('node:fs');
const { Readable, Writable, pipeline } = require('node:stream');
const { promisify } = require('node:util');
const native = require('./native');
const { FtpError, abortError } = require('./errors');

const { fn, C, trampolines, enter, leave, callAsync, takeString, decodeBytes } = native;
const pipelineAsync = promisify(pipeline);

// ---------------------------------------------------------------------------------------------
// Closing that cannot leak: a Client that is dropped without close() has its handle freed by
// the garbage collector through ftp_free (no network, never blocks). The registry holds only
// the small `state` object, never the Client itself.
const registry = new FinalizationRegistry((state) => {
  if (state.ptr !== null) {
    const ptr = state.ptr;
    state.ptr = null;
    native.fn.ftp_free(ptr);
  }
  if (state.retryKey !== null) leave(state.retryKey);
  registry.finalized++;
});
registry.finalized = 0;

const TLS_LEVELS = {
  none: C.FTP_TLS_NONE, false: C.FTP_TLS_NONE,
  try: C.FTP_TLS_TRY,
  control: C.FTP_TLS_CONTROL,
  explicit: C.FTP_TLS_ALL, true: C.FTP_TLS_ALL, all: C.FTP_TLS_ALL,
  implicit: C.FTP_TLS_IMPLICIT,
};
const TLS_VERSIONS = { 'TLSv1.2': C.FTP_TLS_VERSION_1_2, 'TLSv1.3': C.FTP_TLS_VERSION_1_3 };
const PASSIVE = { auto: C.FTP_PASSIVE_AUTO, epsv: C.FTP_PASSIVE_EPSV, pasv: C.FTP_PASSIVE_PASV };
const TYPES = { binary: C.FTP_TYPE_BINARY, ascii: C.FTP_TYPE_ASCII };
const ENTRY_TYPES = ['file', 'dir', 'cdir', 'pdir', 'link', 'other'];
const SYNC_ACTIONS = ['uploaded', 'downloaded', 'skipped', 'deleted', 'createdDirectory', 'failed'];
/** Facts looked up on every entry (the C API cannot enumerate an entry's facts). */
const KNOWN_FACTS = ['type', 'size', 'modify', 'create', 'perm', 'unique', 'lang', 'media-type',
  'charset', 'unix.mode', 'unix.owner', 'unix.group', 'unix.uid', 'unix.gid', 'unix.nlink'];

// ---------------------------------------------------------------------------------------------
// Options

function check(opts, rc, what) {
  if (rc !== C.FTP_OK) {
    throw new FtpError(`${what}: ${fn.ftp_options_errmsg(opts)}`, { result: rc });
  }
}

function ms(value, name) {
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`${name} must be a number of milliseconds >= 0`);
  return Math.min(Math.round(value), 0xffffffff);
}

function applyRetryPolicy(setter, target, policy) {
  const p = normalizeRetry(policy);
  return setter(target, p.maxAttempts, p.initialDelayMs, p.multiplierPercent, p.maxDelayMs, p.jitterPercent);
}

function normalizeRetry(policy = {}) {
  return {
    maxAttempts: policy.maxAttempts ?? 4,
    initialDelayMs: policy.initialDelay ?? 500,
    multiplierPercent: Math.round((policy.multiplier ?? 2) * 100),
    maxDelayMs: policy.maxDelay ?? 30000,
    jitterPercent: Math.round((policy.jitter ?? 0.2) * 100),
  };
}

/** Builds a C options handle from a ConnectOptions object. Caller frees it. */
function buildOptions(o) {
  const opts = fn.ftp_options_new();
  if (!opts) throw new FtpError('ftp_options_new: out of memory', { result: -12 });
  try {
    const set = (name, rc) => check(opts, rc, name);
    if (o.timeout !== undefined) set('timeout', fn.ftp_options_set_timeout_ms(opts, ms(o.timeout, 'timeout')));
    if (o.connectTimeout !== undefined) set('connectTimeout', fn.ftp_options_set_connect_timeout_ms(opts, ms(o.connectTimeout, 'connectTimeout')));
    if (o.replyTimeout !== undefined) set('replyTimeout', fn.ftp_options_set_reply_timeout_ms(opts, ms(o.replyTimeout, 'replyTimeout')));
    if (o.dataConnectTimeout !== undefined) set('dataConnectTimeout', fn.ftp_options_set_data_connect_timeout_ms(opts, ms(o.dataConnectTimeout, 'dataConnectTimeout')));
    if (o.acceptTimeout !== undefined) set('acceptTimeout', fn.ftp_options_set_accept_timeout_ms(opts, ms(o.acceptTimeout, 'acceptTimeout')));
    if (o.dataIdleTimeout !== undefined) set('dataIdleTimeout', fn.ftp_options_set_data_idle_timeout_ms(opts, ms(o.dataIdleTimeout, 'dataIdleTimeout')));
    if (o.keepalive !== undefined) set('keepalive', fn.ftp_options_set_keepalive_ms(opts, ms(o.keepalive, 'keepalive')));
    if (o.retry) set('retry', applyRetryPolicy(fn.ftp_options_set_retry_policy, opts, o.retry));
    if (o.passive !== undefined) {
      if (!(o.passive in PASSIVE)) throw new TypeError(`passive must be one of ${Object.keys(PASSIVE)}`);
      set('passive', fn.ftp_options_set_passive_mode(opts, PASSIVE[o.passive]));
    }
    if (o.active) {
      const a = o.active === true ? {} : o.active;
      set('active', fn.ftp_options_set_active(opts, a.bindAddress ?? '', a.advertiseAddress ?? '',
        a.portMin ?? 0, a.portMax ?? 0, !!a.eprt));
    }
    if (o.trustPasvAddress !== undefined) set('trustPasvAddress', fn.ftp_options_set_trust_pasv_address(opts, !!o.trustPasvAddress));
    if (o.tls !== undefined) {
      const level = TLS_LEVELS[String(o.tls)];
      if (level === undefined) throw new TypeError(`tls must be one of ${Object.keys(TLS_LEVELS)}`);
      set('tls', fn.ftp_options_set_tls(opts, level));
    }
    if (o.dataProtection !== undefined) {
      const prot = { private: C.FTP_PROT_PRIVATE, clear: C.FTP_PROT_CLEAR }[o.dataProtection];
      if (prot === undefined) throw new TypeError("dataProtection must be 'private' or 'clear'");
      set('dataProtection', fn.ftp_options_set_tls_data_protection(opts, prot));
    }
    if (o.caFile !== undefined) set('caFile', fn.ftp_options_set_tls_ca_file(opts, String(o.caFile)));
    if (o.caDir !== undefined) set('caDir', fn.ftp_options_set_tls_ca_dir(opts, String(o.caDir)));
    if (o.systemRoots !== undefined) set('systemRoots', fn.ftp_options_set_tls_system_roots(opts, !!o.systemRoots));
    for (const pin of o.pins ?? []) set('pins', fn.ftp_options_add_tls_pin(opts, pin));
    if (o.servername !== undefined) set('servername', fn.ftp_options_set_tls_server_name(opts, o.servername));
    if (o.clientCert !== undefined || o.clientKey !== undefined) {
      set('clientCert', fn.ftp_options_set_tls_client_cert(opts, String(o.clientCert), String(o.clientKey)));
    }
    if (o.rejectUnauthorized === false) set('rejectUnauthorized', fn.ftp_options_dangerous_disable_tls_verification(opts));
    if (o.allowMissingCloseNotify !== undefined) set('allowMissingCloseNotify', fn.ftp_options_set_tls_allow_missing_close_notify(opts, !!o.allowMissingCloseNotify));
    if (o.minVersion !== undefined || o.maxVersion !== undefined) {
      const min = TLS_VERSIONS[o.minVersion ?? 'TLSv1.2'];
      const max = TLS_VERSIONS[o.maxVersion ?? 'TLSv1.3'];
      if (min === undefined || max === undefined) throw new TypeError("minVersion/maxVersion must be 'TLSv1.2' or 'TLSv1.3'");
      set('minVersion', fn.ftp_options_set_tls_versions(opts, min, max));
    }
    if (o.ccc !== undefined) set('ccc', fn.ftp_options_set_tls_ccc(opts, !!o.ccc));
    if (o.blockSize !== undefined) set('blockSize', fn.ftp_options_set_block_size(opts, o.blockSize));
    if (o.transferType !== undefined) {
      if (!(o.transferType in TYPES)) throw new TypeError("transferType must be 'binary' or 'ascii'");
      set('transferType', fn.ftp_options_set_transfer_type(opts, TYPES[o.transferType]));
    }
    if (o.utf8 !== undefined) set('utf8', fn.ftp_options_set_utf8(opts, !!o.utf8));
    if (o.maxListingEntries !== undefined) set('maxListingEntries', fn.ftp_options_set_max_listing_entries(opts, o.maxListingEntries));
    if (o.maxListingBytes !== undefined) set('maxListingBytes', fn.ftp_options_set_max_listing_bytes(opts, o.maxListingBytes));
    if (o.maxTreeDepth !== undefined) set('maxTreeDepth', fn.ftp_options_set_max_tree_depth(opts, o.maxTreeDepth));
    if (o.maxTreeEntries !== undefined) set('maxTreeEntries', fn.ftp_options_set_max_tree_entries(opts, o.maxTreeEntries));
    return opts;
  } catch (err) {
    fn.ftp_options_free(opts);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Entries

function readEntry(e) {
  const data = [null];
  const len = [0];
  const rawName = fn.ftp_entry_name_bytes(e, data, len) === C.FTP_OK ? decodeBytes(data[0], len[0]) : Buffer.alloc(0);
  const out = [0];
  const size = fn.ftp_entry_size(e, out) === C.FTP_OK ? Number(out[0]) : undefined;
  const mod = [0];
  const modified = fn.ftp_entry_modified(e, mod) === C.FTP_OK ? new Date(Number(mod[0]) * 1000) : undefined;
  const facts = {};
  for (const name of KNOWN_FACTS) {
    const v = fn.ftp_entry_fact(e, name);
    if (v !== null && v !== undefined) facts[name] = v;
  }
  const type = ENTRY_TYPES[fn.ftp_entry_type(e)] ?? 'other';
  return {
    name: rawName.toString('utf8'),
    rawName,
    type,
    size,
    modified,
    facts,
    isFile: type === 'file',
    isDirectory: type === 'dir',
    isSymbolicLink: type === 'link',
  };
}

// ---------------------------------------------------------------------------------------------
// The client

const USERDATA = Symbol('userdata');

class Client {
  /** Use `Client.connect()` or `connect()`. */
  constructor(ptr, options = {}) {
    this._state = { ptr, retryKey: null };
    this._tail = Promise.resolve();
    this._closed = false;
    this._destroyed = false;
    this._closing = null;
    /** Open data streams, which hold the session until they end. */
    this._streams = new Set();
    /** The decoded path of the URL connected to ('' without one). */
    this.urlPath = '';
    this._snapshot = { welcome: '', replyCode: 0, replyText: '', tls: false, resumed: undefined };
    registry.register(this, this._state, this._state);
  }

  /**
   * Connects and logs in. `target` is a host name or address, or an ftp://, ftps:// (implicit
   * TLS) or ftpes:// (explicit TLS) URL with optional user, password, port and path.
   */
  static async connect(target, options = {}) {
    if (typeof target === 'object' && target !== null && !(target instanceof URL)) {
      options = target;
      target = options.host ?? options.url;
    }
    if (target === undefined) throw new TypeError('connect: a host or URL is required');
    const isUrl = target instanceof URL || /^[a-z][a-z0-9+.-]*:\/\//i.test(String(target));
    const opts = buildOptions(options);
    const out = [null];
    let rc;
    try {
      rc = fn.ftp_new(opts, out);
    } finally {
      fn.ftp_options_free(opts);
    }
    if (rc !== C.FTP_OK) throw new FtpError('ftp_new failed', { result: rc });
    const client = new Client(out[0], options);
    try {
      if (isUrl) {
        const p = [null];
        await client._invoke(fn.ftp_open_url, [USERDATA, String(target), options.password ?? null, p], { signal: options.signal });
        client.urlPath = takeString(p[0]);
      } else {
        const port = options.port ?? (options.tls === 'implicit' ? 990 : 21);
        await client._invoke(fn.ftp_open, [USERDATA, String(target), port], { signal: options.signal });
        await client._invoke(fn.ftp_login, [USERDATA, options.user ?? 'anonymous',
          options.password ?? (options.user ? '' : 'anonymous@'), options.account ?? null], { signal: options.signal });
      }
      // The library takes the retry callback only on a connected handle: connect and login
      // retries (options.retry) happen, but are not told.
      if (options.onRetry) client._setRetryHandler(options.onRetry);
    } catch (err) {
      client.destroy();
      throw err;
    }
    return client;
  }

  get _ptr() {
    if (this._state.ptr === null) throw new FtpError('the client is closed', { result: C.FTP_ERR_INVALID_STATE });
    return this._state.ptr;
  }

  /** Whether close() or destroy() was called. */
  get closed() {
    return this._closed;
  }

  // The getters below answer from a snapshot taken on the JS thread after each call, never by
  // reading the handle while a worker thread may be inside a call on it.

  /** The server's welcome text (untrusted: may hold control characters). */
  get welcome() {
    return this._snapshot.welcome;
  }

  /** The code of the last reply on this session, as of the last call that finished. */
  get lastReplyCode() {
    return this._snapshot.replyCode;
  }

  /** The text of the last reply (untrusted), as of the last call that finished. */
  get lastReplyText() {
    return this._snapshot.replyText;
  }

  /** Whether the control connection is under TLS (after login; false after CCC). */
  get isTLS() {
    return this._snapshot.tls;
  }

  /** Whether the last TLS data connection resumed the control connection's TLS session. */
  get dataSessionResumed() {
    return this._snapshot.resumed;
  }

  /** Takes the snapshot; only while this client's queue is held and no call runs. */
  _takeSnapshot() {
    const ptr = this._state.ptr;
    if (ptr === null) return;
    const tls = [false];
    const resumed = [false];
    this._snapshot = {
      welcome: fn.ftp_welcome(ptr),
      replyCode: fn.ftp_reply_code(ptr),
      replyText: fn.ftp_reply_text(ptr),
      tls: fn.ftp_is_tls(ptr, tls) === C.FTP_OK ? !!tls[0] : this._snapshot.tls,
      resumed: fn.ftp_last_data_tls_resumed(ptr, resumed) === C.FTP_OK ? !!resumed[0] : undefined,
    };
  }

  // -- plumbing --------------------------------------------------------------------------------

  /**
   * Waits for the calls queued before on this client, then resolves with a function that lets
   * the next one run (idempotent). Rejects, releasing at once, when `signal` has fired or the
   * client is closed (or destroyed, unless `internal`).
   */
  _hold(signal, internal = false) {
    const previous = this._tail;
    let release;
    const mine = new Promise((resolve) => { release = resolve; });
    this._tail = previous.then(() => mine);
    return new Promise((resolve, reject) => {
      // A signal that fires while the call waits rejects it at once; its turn in the queue
      // passes straight on when it comes.
      const onAbort = () => reject(abortError(signal));
      if (signal) signal.addEventListener('abort', onAbort, { once: true });
      previous.then(() => {
        if (signal) signal.removeEventListener('abort', onAbort);
        let failure = null;
        if (signal?.aborted) failure = abortError(signal);
        else if (this._state.ptr === null || (this._destroyed && !internal)) {
          failure = new FtpError('the client is closed', { result: C.FTP_ERR_INVALID_STATE });
        }
        if (failure) {
          release();
          reject(failure);
          return;
        }
        let released = false;
        resolve(() => {
          if (!released) {
            released = true;
            release();
          }
        });
      });
    });
  }

  /** Runs `work` alone on this client, after every call queued before it. */
  async _exclusive(work, signal, internal = false) {
    const release = await this._hold(signal, internal);
    try {
      return await work();
    } finally {
      release();
    }
  }

  /**
   * Until the returned function is called, `signal` cancels the native call in progress on
   * this client (ftp_cancel: it returns FTP_ERR_ABORTED soon; a cancel that comes when no call
   * runs does nothing) and marks `ctx` stopped so its next callback answers "stop".
   */
  _watch(signal, ctx) {
    if (!signal) return () => false;
    let fired = false;
    const onAbort = () => {
      fired = true;
      if (ctx) ctx.stopped = true;
      if (native.hasCancel() && this._state.ptr !== null) fn.ftp_cancel(this._state.ptr);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    return () => {
      signal.removeEventListener('abort', onAbort);
      return fired;
    };
  }

  /** The error behind `rc` on this handle (call right after the failing call). */
  _error(rc) {
    const ptr = this._state.ptr;
    const message = ptr === null ? fn.ftp_strerror(rc) : (fn.ftp_errmsg(ptr) || fn.ftp_strerror(rc));
    const replyCode = ptr === null ? 0 : fn.ftp_errreply(ptr);
    return new FtpError(message, { result: rc, replyCode });
  }

  /**
   * Calls native `f` asynchronously with `args` (USERDATA stands for this handle, or, with
   * `ctx`, the callback key where it appears after the handle). Cancels through the signal,
   * re-raises an exception a callback threw, and maps a failure to an FtpError.
   */
  async _invoke(f, args, { signal, ctx, accept } = {}) {
    const ptr = this._ptr;
    if (signal?.aborted) throw abortError(signal);
    const key = ctx ? enter(ctx) : null;
    const realArgs = args.map((a, i) => (a === USERDATA ? (i === 0 ? ptr : key) : a));
    const unwatch = this._watch(signal, ctx);
    let rc;
    let cancelled;
    let failure = null;
    try {
      rc = await callAsync(f, ...realArgs);
    } finally {
      cancelled = unwatch();
      if (key !== null) leave(key);
    }
    // Read the failure off the handle before the snapshot's calls replace it.
    if (typeof rc === 'number' && rc < 0 && !(accept && accept.includes(rc))) {
      if (ctx && ctx.error !== undefined) failure = ctx.error;
      else if (rc === C.FTP_ERR_ABORTED && (cancelled || signal?.aborted)) failure = this._abortError(signal);
      else failure = this._error(rc);
    }
    this._takeSnapshot();
    if (failure) throw failure;
    return rc;
  }

  /** The AbortError for a call its signal stopped, with the handle's message. */
  _abortError(signal) {
    const ptr = this._state.ptr;
    const err = abortError(signal, (ptr !== null && fn.ftp_errmsg(ptr)) || undefined);
    err.replyCode = ptr !== null ? fn.ftp_errreply(ptr) : 0;
    return err;
  }

  /** One queued native call. */
  _call(f, args, options = {}) {
    return this._exclusive(() => this._invoke(f, [USERDATA, ...args], options), options.signal);
  }

  // -- commands --------------------------------------------------------------------------------

  /** PWD. */
  async pwd(options) {
    const out = [null];
    await this._call(fn.ftp_pwd, [out], options);
    return takeString(out[0]);
  }

  /** CWD. */
  async cd(path, options) {
    await this._call(fn.ftp_cwd, [path], options);
  }

  /** CDUP. */
  async cdup(options) {
    await this._call(fn.ftp_cdup, [], options);
  }

  /** MKD; resolves with the path as the server reports it. */
  async mkdir(path, options) {
    const out = [null];
    await this._call(fn.ftp_mkd, [path, out], options);
    return takeString(out[0]);
  }

  /** RMD (an empty directory). */
  async rmdir(path, options) {
    await this._call(fn.ftp_rmd, [path], options);
  }

  /** DELE. */
  async remove(path, options) {
    await this._call(fn.ftp_delete, [path], options);
  }

  /** RNFR + RNTO. */
  async rename(from, to, options) {
    await this._call(fn.ftp_rename, [from, to], options);
  }

  /** SIZE, in bytes. */
  async size(path, options) {
    const out = [0];
    await this._call(fn.ftp_size, [path, out], options);
    return Number(out[0]);
  }

  /** MDTM, as a Date. */
  async lastModified(path, options) {
    const out = [0];
    await this._call(fn.ftp_mdtm, [path, out], options);
    return new Date(Number(out[0]) * 1000);
  }

  /** MFMT: sets a file's modification time. */
  async setLastModified(path, date, options) {
    const seconds = Math.floor((date instanceof Date ? date.getTime() : Number(date)) / 1000);
    await this._call(fn.ftp_mfmt, [path, seconds], options);
  }

  /** NOOP. */
  async noop(options) {
    await this._call(fn.ftp_noop, [], options);
  }

  /**
   * Sends any command line and resolves with the reply, whatever its code (a 4xx or 5xx reply
   * does not reject here). The text is the server's, untrusted. CR, LF and NUL are refused.
   */
  async quote(command, options) {
    const code = [0];
    const text = [null];
    await this._call(fn.ftp_quote, [command, code, text], options);
    return { code: code[0], text: takeString(text[0]) };
  }

  /** Like quote(), but rejects with an FtpError on a 4xx or 5xx reply (ftplib's sendcmd). */
  async send(command, options) {
    const reply = await this.quote(command, options);
    if (reply.code >= 400) {
      throw new FtpError(`${command.split(' ')[0]}: ${reply.code} ${reply.text}`, {
        result: reply.code >= 500 ? C.FTP_ERR_PERMANENT : C.FTP_ERR_TEMPORARY, replyCode: reply.code,
      });
    }
    return reply;
  }

  /** Whether the server listed `feature` in FEAT. */
  async hasFeature(feature, options) {
    const out = [false];
    await this._call(fn.ftp_feat_has, [feature, out], options);
    return !!out[0];
  }

  /** The parameters of a FEAT line, or undefined when the feature is not listed. */
  async featureParams(feature, options) {
    const out = [null];
    const rc = await this._call(fn.ftp_feat_params, [feature, out], { ...options, accept: [C.FTP_ERR_NOT_AVAILABLE] });
    return rc === C.FTP_OK ? takeString(out[0]) : undefined;
  }

  /** The type of later transfers: 'binary' (the default) or 'ascii'. */
  async setTransferType(type, options) {
    if (!(type in TYPES)) throw new TypeError("type must be 'binary' or 'ascii'");
    await this._call(fn.ftp_set_transfer_type, [TYPES[type]], options);
  }

  // -- listings --------------------------------------------------------------------------------

  /**
   * The entries of a directory (MLSD where the server offers it, parsed LIST otherwise; no `.`
   * and `..`), with the retry policy. Names are the server's: untrusted.
   */
  async list(path = '', options) {
    return this._exclusive(async () => {
      const out = [null];
      await this._invoke(fn.ftp_dir_list_open, [USERDATA, path, out], options);
      const list = out[0];
      try {
        const n = Number(fn.ftp_dir_list_count(list));
        const entries = [];
        for (let i = 0; i < n; i++) entries.push(readEntry(fn.ftp_dir_list_entry(list, i)));
        return entries;
      } finally {
        fn.ftp_dir_list_free(list);
      }
    }, options?.signal);
  }

  /** MLSD as an async iterator of entries, parsed as they arrive. */
  mlsd(path = '', options) {
    return this._iterate(fn.ftp_mlsd_open, path, options);
  }

  /** LIST parsed into entries (Unix and DOS formats), as an async iterator: for servers without MLSD. */
  listParsed(path = '', options) {
    return this._iterate(fn.ftp_list_open, path, options);
  }

  async *_iterate(open, path, options = {}) {
    const { signal } = options;
    const release = await this._hold(signal);
    let it = null;
    try {
      const out = [null];
      await this._invoke(open, [USERDATA, path, out], { signal });
      it = out[0];
      for (;;) {
        const e = [null];
        const unwatch = this._watch(signal);
        let rc;
        try {
          rc = await callAsync(fn.ftp_mlsd_next, it, e);
        } finally {
          unwatch();
        }
        if (signal?.aborted) throw this._abortError(signal);
        if (rc === C.FTP_DONE) break;
        if (rc !== C.FTP_OK) throw this._error(rc);
        yield readEntry(e[0]);
      }
    } finally {
      if (it !== null) await callAsync(fn.ftp_mlsd_close, it);
      this._takeSnapshot();
      release();
    }
  }

  /** MLST: the facts of one path. */
  async stat(path = '', options) {
    const out = [null];
    await this._call(fn.ftp_mlst, [path, out], options);
    try {
      return readEntry(out[0]);
    } finally {
      fn.ftp_entry_free(out[0]);
    }
  }

  /** LIST: the raw lines (untrusted text). */
  async listRaw(path = '', options = {}) {
    const lines = [];
    const ctx = { line: (b) => { lines.push(b.toString('utf8')); } };
    await this._call(fn.ftp_list, [path || null, trampolines.line, USERDATA], { ...options, ctx });
    return lines;
  }

  /** NLST: the names (untrusted text). */
  async nlst(path = '', options = {}) {
    const lines = [];
    const ctx = { line: (b) => { lines.push(b.toString('utf8')); } };
    await this._call(fn.ftp_nlst, [path || null, trampolines.line, USERDATA], { ...options, ctx });
    return lines;
  }

  /** Runs `command` (RETR, LIST, ...) in ASCII mode and resolves with its lines (ftplib's retrlines). */
  async retrLines(command, options = {}) {
    const lines = [];
    const ctx = { line: (b) => { if (options.onLine) options.onLine(b.toString('utf8')); else lines.push(b.toString('utf8')); } };
    await this._call(fn.ftp_retr_lines, [command, trampolines.line, USERDATA], { ...options, ctx });
    return lines;
  }

  // -- transfers -------------------------------------------------------------------------------

  /**
   * Downloads `remote` into memory. `offset` resumes from that byte; `onProgress({transferred,
   * total})` runs after every block (return false to stop).
   */
  async downloadBuffer(remote, options = {}) {
    const chunks = [];
    const ctx = {
      write: (chunk) => { chunks.push(chunk); },
      progress: progressHandler(options.onProgress),
    };
    await this._call(fn.ftp_retr, [remote, options.offset ?? 0, trampolines.write,
      options.onProgress ? trampolines.progress : null, USERDATA], { ...options, ctx });
    return Buffer.concat(chunks);
  }

  /**
   * Downloads `remote` to a Writable stream (with backpressure), to a local file path (with
   * `resume`, continued from the local file's length), or to an open file descriptor (written
   * from its position, not closed). One RETR, no retries: see downloadFile.
   */
  async download(remote, destination, options = {}) {
    if (typeof destination === 'number') {
      const ctx = { progress: progressHandler(options.onProgress) };
      await this._call(fn.ftp_retr_fd, [remote, destination,
        options.onProgress ? trampolines.progress : null, USERDATA], { ...options, ctx });
      return;
    }
    if (typeof destination === 'string' || destination instanceof URL) {
      const ctx = { progress: progressHandler(options.onProgress) };
      await this._call(fn.ftp_retr_file, [remote, fileName(destination), !!options.resume,
        options.onProgress ? trampolines.progress : null, USERDATA], { ...options, ctx });
      return;
    }
    const source = this.createReadStream(remote, options);
    await pipelineAsync(source, destination, options.signal ? { signal: options.signal } : {});
  }

  /**
   * Uploads to `remote` from a Buffer/Uint8Array/ArrayBuffer, a Readable stream (or any async
   * iterable of chunks), a local file path (a string: pass text as Buffer.from(text)), or an
   * open file descriptor (read to its end, not closed; `total` for progress). `offset` resumes
   * at that byte of the remote file (REST): from a Buffer or a local path, which hold the whole
   * file, the bytes before `offset` are skipped; a stream or descriptor supplies the rest only.
   * `append` uses APPE (appending a whole Buffer).
   */
  async upload(source, remote, options = {}) {
    if (typeof source === 'number') {
      const ctx = { progress: progressHandler(options.onProgress) };
      await this._call(fn.ftp_stor_fd, [source, remote, options.total ?? -1,
        options.onProgress ? trampolines.progress : null, USERDATA], { ...options, ctx });
      return;
    }
    if (typeof source === 'string') {
      if (options.offset || options.append) {
        return this.upload(fs.createReadStream(source, { start: options.offset ?? 0 }), remote, options);
      }
      const ctx = { progress: progressHandler(options.onProgress) };
      await this._call(fn.ftp_stor_file, [source, remote,
        options.onProgress ? trampolines.progress : null, USERDATA], { ...options, ctx });
      return;
    }
    if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
      const data = source instanceof ArrayBuffer ? Buffer.from(source)
        : Buffer.from(source.buffer, source.byteOffset, source.byteLength); // views, no copy
      const offset = options.offset ?? 0;
      if (offset > data.length) throw new RangeError(`offset ${offset} is past the end of the data (${data.length} bytes)`);
      let pos = options.append ? 0 : offset;
      const ctx = {
        read: (capacity) => {
          const chunk = data.subarray(pos, pos + capacity);
          pos += chunk.length;
          return chunk;
        },
        progress: progressHandler(options.onProgress),
      };
      const f = options.append ? fn.ftp_appe : fn.ftp_stor;
      // `total` is the whole file's size; progress counts from the start of the file.
      await this._call(f, [remote, options.append ? 0 : offset, data.length, trampolines.read,
        options.onProgress ? trampolines.progress : null, USERDATA], { ...options, ctx });
      return;
    }
    const sink = this.createWriteStream(remote, options);
    await pipelineAsync(source, sink, options.signal ? { signal: options.signal } : {});
  }

  /**
   * A Readable of the remote file's bytes, from byte `start` (REST). The session is held until
   * the stream ends or is destroyed (destroying it early sends ABOR): other calls on this
   * client wait until then.
   */
  createReadStream(remote, options = {}) {
    return new FtpReadStream(this, `RETR ${remote}`, options);
  }

  /**
   * A Writable to the remote file, from byte `start` of it (REST), or appending with
   * `append: true`. The upload is complete when the stream emits 'finish' (the server's final
   * reply was read); destroying it with an error aborts the transfer.
   */
  createWriteStream(remote, options = {}) {
    return new FtpWriteStream(this, `${options.append ? 'APPE' : 'STOR'} ${remote}`, options);
  }

  // -- production layer ------------------------------------------------------------------------

  /**
   * Downloads `remote` to the local path through a partial file renamed into place when
   * complete, retrying transient failures and resuming (with `resume`, also a partial file
   * left by an earlier run).
   */
  async downloadFile(remote, localPath, options = {}) {
    const ctx = { progress: progressHandler(options.onProgress) };
    await this._call(fn.ftp_download_file, [remote, fileName(localPath), !!options.resume,
      options.onProgress ? trampolines.progress : null, USERDATA], { ...options, ctx });
  }

  /**
   * Uploads a local file, retrying transient failures by continuing where the server stopped;
   * with `temporaryName`, through `.NAME.ftpc-part` renamed on success.
   */
  async uploadFile(localPath, remote, options = {}) {
    const ctx = { progress: progressHandler(options.onProgress) };
    await this._call(fn.ftp_upload_file, [fileName(localPath), remote, !!options.temporaryName,
      options.onProgress ? trampolines.progress : null, USERDATA], { ...options, ctx });
  }

  /** `mkdir -p` on the server. */
  async ensureDirectory(path, options) {
    await this._call(fn.ftp_ensure_directory, [path], options);
  }

  /**
   * Makes the remote directory hold what the local one holds (uploads, creates directories,
   * with `delete` removes extra remote files; `dryRun` changes nothing). Resolves with a report
   * of every path; a failed path does not stop the others but makes the call reject at the end
   * with the first failure (its `report` property has the rest).
   */
  async sync(localDir, remoteDir, options = {}) {
    return this._syncLike(fn.ftp_sync_directory, fileName(localDir), remoteDir, options);
  }

  /** The reverse of sync(): makes the local directory hold what the remote one holds. */
  async mirror(remoteDir, localDir, options = {}) {
    return this._syncLike(fn.ftp_mirror_directory, remoteDir, fileName(localDir), options);
  }

  async _syncLike(f, from, to, options) {
    const report = { events: [], uploaded: 0, downloaded: 0, skipped: 0, deleted: 0, createdDirectories: 0, failed: 0 };
    const counters = ['uploaded', 'downloaded', 'skipped', 'deleted', 'createdDirectories', 'failed'];
    const ctx = {
      sync: (action, path, bytes, filesDone, filesTotal, error, message) => {
        const event = {
          action: SYNC_ACTIONS[action] ?? String(action), path, bytes: Number(bytes),
          filesDone: Number(filesDone), filesTotal: Number(filesTotal), message,
        };
        if (error !== C.FTP_OK) event.error = new FtpError(message, { result: error });
        report.events.push(event);
        if (counters[action]) report[counters[action]]++;
        if (options.onEvent) return options.onEvent(event);
        return undefined;
      },
    };
    try {
      await this._call(f, [from, to, !!options.delete, !!options.dryRun, trampolines.sync, USERDATA], { ...options, ctx });
    } catch (err) {
      err.report = report;
      throw err;
    }
    return report;
  }

  /**
   * The retry policy of the production-layer calls: attempts, first delay (ms), multiplier (2
   * doubles), largest delay (ms), jitter (0.2 = up to 20% either way).
   */
  async setRetryPolicy(policy = {}, options) {
    const p = normalizeRetry(policy);
    await this._call(fn.ftp_set_retry_policy, [p.maxAttempts, p.initialDelayMs, p.multiplierPercent, p.maxDelayMs, p.jitterPercent], options);
  }

  /**
   * Sets (or with null removes) the function told before each retry:
   * `({attempt, error, delay}) => boolean|void`; returning false vetoes the retry.
   */
  setRetryHandler(handler) {
    // Queued like every call: the handle is not touched while a call runs on it.
    return this._exclusive(async () => this._setRetryHandler(handler));
  }

  _setRetryHandler(handler) {
    const ptr = this._ptr;
    if (this._state.retryKey !== null) {
      fn.ftp_set_retry_callback(ptr, null, null);
      leave(this._state.retryKey);
      this._state.retryKey = null;
    }
    this._retryHandler = handler || null;
    if (!handler) return;
    // The table of callback contexts is global: it must not keep the client alive (a handler
    // that closes over its client would defeat the finalizer), so it holds a weak reference and
    // the client holds the handler.
    const ref = new WeakRef(this);
    const key = enter({
      retry: (attempt, error, replyCode, message, delayMs) => {
        const client = ref.deref();
        const h = client && client._retryHandler;
        if (!h) return undefined;
        return h({ attempt, delay: delayMs, error: new FtpError(message, { result: error, replyCode }) });
      },
    });
    this._state.retryKey = key;
    const rc = fn.ftp_set_retry_callback(ptr, trampolines.retry, key);
    if (rc !== C.FTP_OK) {
      leave(key);
      this._state.retryKey = null;
      throw this._error(rc);
    }
  }

  // -- closing ---------------------------------------------------------------------------------

  /**
   * Ends the session with QUIT (after the calls already queued) and frees the handle. Resolves
   * once done; never rejects for a failed QUIT (the handle is freed anyway). Idempotent.
   */
  close() {
    if (this._closing) return this._closing;
    this._closed = true;
    this._closing = this._exclusive(async () => {
      const ptr = this._state.ptr;
      this._state.ptr = null;
      registry.unregister(this._state);
      if (this._state.retryKey !== null) {
        leave(this._state.retryKey);
        this._state.retryKey = null;
      }
      await callAsync(fn.ftp_quit, ptr);
    }).catch(() => {});
    return this._closing;
  }

  /**
   * Frees the handle without QUIT (no network): the call in flight is cancelled, calls queued
   * behind it fail with ERR_FTP_INVALID_STATE, and the handle is freed once the call returned.
   */
  destroy() {
    this._closed = true;
    if (this._destroyed) return;
    this._destroyed = true;
    const ptr = this._state.ptr;
    if (ptr === null) return;
    if (native.hasCancel()) fn.ftp_cancel(ptr);
    for (const stream of this._streams) {
      stream.destroy(new FtpError('the client was destroyed', { result: C.FTP_ERR_INVALID_STATE }));
    }
    this._closing = this._exclusive(async () => {
      this._release_handle(ptr);
    }, undefined, true).catch(() => {});
  }

  _release_handle(ptr) {
    if (this._state.ptr !== null) {
      this._state.ptr = null;
      registry.unregister(this._state);
      fn.ftp_free(ptr);
    }
    if (this._state.retryKey !== null) {
      leave(this._state.retryKey);
      this._state.retryKey = null;
    }
  }

  /** `await using client = await connect(...)` (TypeScript 5.2+, Node with explicit resource management). */
  async [Symbol.asyncDispose]() {
    await this.close();
  }
}

function fileName(p) {
  return p instanceof URL ? require('node:url').fileURLToPath(p) : String(p);
}

function progressHandler(onProgress) {
  if (!onProgress) return undefined;
  return (transferred, total) => onProgress({
    transferred: Number(transferred),
    total: Number(total) < 0 ? undefined : Number(total),
  });
}

// ---------------------------------------------------------------------------------------------
// Streams on the data connection API (ftp_data_*): each read or write is one async call, so
// Node's backpressure applies end to end.

/** What the read and the write stream share: their session and options. */
function initStream(stream, client, command, options) {
  stream._client = client;
  stream._command = command;
  stream._start = options.start ?? options.offset ?? 0;
  stream._signal = options.signal;
  stream._onProgress = options.onProgress;
}

/** Gives the stream's session back to its client's queue (once). */
function releaseStreamSession(stream) {
  const release = stream._release;
  stream._release = null;
  stream._client._streams.delete(stream);
  if (release) {
    stream._client._takeSnapshot();
    release();
  }
}

class FtpReadStream extends Readable {
  _releaseSession() {
    releaseStreamSession(this);
  }

  constructor(client, command, options = {}) {
    super({ highWaterMark: options.highWaterMark ?? 64 * 1024, signal: options.signal });
    initStream(this, client, command, options);
    this._data = null;
    this._release = null;
    this._transferred = this._start;
    this._buffer = Buffer.allocUnsafe(options.chunkSize ?? 64 * 1024);
    /** The size the server announced (150 reply), when it did. */
    this.expectedSize = undefined;
  }

  _construct(callback) {
    openData(this, callback, () => {
      const size = [0];
      if (fn.ftp_data_expected_size(this._data, size) === C.FTP_OK) this.expectedSize = Number(size[0]);
    });
  }

  _read(size) {
    const len = [0];
    const data = this._data;
    this._pending = callAsync(fn.ftp_data_read, data, this._buffer, this._buffer.length, len);
    this._pending.then(async (rc) => {
      this._pending = null;
      if (this.destroyed) return;
      if (rc !== C.FTP_OK) {
        this.destroy(this._client._error(rc));
        return;
      }
      const n = Number(len[0]);
      if (n === 0) {
        this._data = null;
        const closeRc = await callAsync(fn.ftp_data_close, data);
        const err = closeRc !== C.FTP_OK ? this._client._error(closeRc) : null;
        this._releaseSession();
        if (err) this.destroy(err); else this.push(null);
        return;
      }
      this._transferred += n;
      const chunk = Buffer.from(this._buffer.subarray(0, n));
      if (this._onProgress) {
        try {
          if (this._onProgress({ transferred: this._transferred, total: this.expectedSize }) === false) {
            this.destroy(new FtpError('stopped by the progress callback', { result: C.FTP_ERR_ABORTED }));
            return;
          }
        } catch (err) {
          this.destroy(err);
          return;
        }
      }
      this.push(chunk);
    }, (err) => this.destroy(err));
  }

  _destroy(err, callback) {
    destroyData(this, err, callback);
  }
}

class FtpWriteStream extends Writable {
  _releaseSession() {
    releaseStreamSession(this);
  }

  constructor(client, command, options = {}) {
    super({ highWaterMark: options.highWaterMark ?? 64 * 1024, signal: options.signal });
    initStream(this, client, command, options);
    this._total = options.total;
    this._transferred = this._start;
    this._data = null;
    this._release = null;
  }

  _construct(callback) {
    openData(this, callback);
  }

  _write(chunk, encoding, callback) {
    this._pending = callAsync(fn.ftp_data_write, this._data, chunk, chunk.length);
    this._pending.then((rc) => {
      this._pending = null;
      if (rc !== C.FTP_OK) return callback(this._client._error(rc));
      this._transferred += chunk.length;
      if (this._onProgress) {
        try {
          if (this._onProgress({ transferred: this._transferred, total: this._total }) === false) {
            return callback(new FtpError('stopped by the progress callback', { result: C.FTP_ERR_ABORTED }));
          }
        } catch (err) {
          return callback(err);
        }
      }
      return callback();
    }, callback);
  }

  _final(callback) {
    const data = this._data;
    this._data = null;
    callAsync(fn.ftp_data_close, data).then((rc) => {
      const err = rc !== C.FTP_OK ? this._client._error(rc) : null;
      this._releaseSession();
      callback(err);
    }, (err) => {
      this._releaseSession();
      callback(err);
    });
  }

  _destroy(err, callback) {
    destroyData(this, err, callback);
  }
}

/**
 * Opens a stream's data connection once the session is free; the session stays held (other
 * calls wait) until the stream ends or is destroyed.
 */
function openData(stream, callback, onOpen) {
  const client = stream._client;
  client._hold(stream._signal).then(async (release) => {
    stream._release = release;
    client._streams.add(stream);
    try {
      const out = [null];
      await client._invoke(fn.ftp_data_open, [USERDATA, stream._command, stream._start, out], { signal: stream._signal });
      stream._data = out[0];
      if (onOpen) onOpen();
      callback();
    } catch (err) {
      stream._releaseSession();
      callback(err);
    }
  }, callback);
}

/**
 * Ends a stream's transfer early: stops a read or write in flight (ftp_cancel where the library
 * has it), waits for it (a data handle is used by one thread at a time), then ABOR.
 */
function destroyData(stream, err, callback) {
  const data = stream._data;
  stream._data = null;
  const finish = () => {
    stream._releaseSession();
    callback(err);
  };
  if (!data) return finish();
  const pending = stream._pending;
  if (pending && native.hasCancel() && stream._client._state.ptr !== null) fn.ftp_cancel(stream._client._state.ptr);
  return Promise.resolve(pending).catch(() => {}).then(() => callAsync(fn.ftp_data_abort, data)).then(finish, finish);
}

/** Connects and logs in: `connect('ftpes://user:pw@host/dir', { caFile })` or `connect(host, options)`. */
function connect(target, options) {
  return Client.connect(target, options);
}

module.exports = { Client, connect, registry, FtpReadStream, FtpWriteStream };
