// Type declarations for ftpc (hand-written; checked by `tsc` on examples/typed.ts).

/// <reference types="node" />

import type { Readable, Writable } from 'node:stream';

/** The class of a failure, from the C library's result. */
export type FtpErrorCode =
  | 'ERR_FTP_INVALID_ARGUMENT'
  | 'ERR_FTP_TEMPORARY'
  | 'ERR_FTP_PERMANENT'
  | 'ERR_FTP_UNEXPECTED_REPLY'
  | 'ERR_FTP_PROTOCOL'
  | 'ERR_FTP_IO'
  | 'ERR_FTP_TIMEOUT'
  | 'ERR_FTP_TLS'
  | 'ERR_FTP_ABORTED'
  | 'ERR_FTP_BUSY'
  | 'ERR_FTP_NOT_AVAILABLE'
  | 'ERR_FTP_PANIC'
  | 'ERR_FTP_INVALID_STATE'
  | 'ERR_FTP_INTEGRITY';

/**
 * A failure reported by ftpc. The message may quote the server's reply: untrusted text.
 * A call stopped by its AbortSignal rejects with an FtpError whose `name` is 'AbortError',
 * `code` 'ERR_FTP_ABORTED' and `cause` the signal's reason.
 */
export class FtpError extends Error {
  constructor(message: string, init?: { result?: number; replyCode?: number; cause?: unknown });
  /** The class of the failure. */
  code: FtpErrorCode;
  /** The server's three-digit reply code behind it; 0 when there was none (a timeout, I/O). */
  replyCode: number;
  /** The C library's numeric result (negative). */
  result: number;
  /** 4xx replies and timeouts: may pass if tried again. */
  readonly temporary: boolean;
}

/** Every FtpErrorCode. */
export const errorCodes: readonly FtpErrorCode[];

/** The version of the loaded C library, "MAJOR.MINOR.PATCH". */
export const libraryVersion: string;

export interface RetryPolicy {
  /** Attempts in all (1 never retries). Default 4. */
  maxAttempts?: number;
  /** First wait, in ms. Default 500. */
  initialDelay?: number;
  /** Each wait is this many times the last (2 doubles). Default 2. */
  multiplier?: number;
  /** Longest wait, in ms. Default 30000. */
  maxDelay?: number;
  /** Random variation either way, as a fraction (0.2 = 20%). Default 0.2. */
  jitter?: number;
}

export interface RetryInfo {
  /** The attempt that failed, from 1. */
  attempt: number;
  /** Its error. */
  error: FtpError;
  /** The wait before the next attempt, in ms. */
  delay: number;
}

/** Return false to veto the retry (the operation then fails with `info.error`). */
export type RetryHandler = (info: RetryInfo) => boolean | void;

export interface ConnectOptions {
  /** With a host name: the port (default 21; 990 with `tls: 'implicit'`). */
  port?: number;
  /** With a host name: the user (default anonymous). */
  user?: string;
  /** The password; with a URL, used when the URL names a user but no password. */
  password?: string;
  account?: string;
  /**
   * 'explicit' (AUTH TLS, control and data protected; also `true`), 'control' (data may be
   * clear), 'try' (TLS if offered, else plain: not safe against an active attacker),
   * 'implicit', or 'none' (default; also `false`). A URL's scheme decides instead.
   */
  tls?: 'none' | 'try' | 'control' | 'explicit' | 'all' | 'implicit' | boolean;
  /** A PEM file of CA certificates to trust besides the system store. */
  caFile?: string;
  /** A directory of PEM CA certificates to trust besides the system store. */
  caDir?: string;
  /** Whether to trust the system store (default true). */
  systemRoots?: boolean;
  /** Pinned certificates: `sha256//BASE64` (public key) or 64 hex digits. */
  pins?: string[];
  /** The name sent as SNI and verified in the certificate (default: the host). */
  servername?: string;
  /** Client certificate chain and key, PEM files. */
  clientCert?: string;
  clientKey?: string;
  /** DANGEROUS when false: accepts any certificate from anyone. Default true. */
  rejectUnauthorized?: boolean;
  allowMissingCloseNotify?: boolean;
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** Send CCC after login (control back to clear text, data still protected). */
  ccc?: boolean;
  /** PROT P ('private', default) or PROT C ('clear'). */
  dataProtection?: 'private' | 'clear';
  /** Every timeout at once, in ms (0 waits forever). */
  timeout?: number;
  connectTimeout?: number;
  replyTimeout?: number;
  dataConnectTimeout?: number;
  acceptTimeout?: number;
  dataIdleTimeout?: number;
  /** NOOP on the control connection every so many ms during transfers (0: never). */
  keepalive?: number;
  passive?: 'auto' | 'epsv' | 'pasv';
  /** Active mode (PORT/EPRT) instead of passive. */
  active?: boolean | { bindAddress?: string; advertiseAddress?: string; portMin?: number; portMax?: number; eprt?: boolean };
  /** Use the address in PASV replies (off: the control peer's address, as curl does). */
  trustPasvAddress?: boolean;
  /** Bytes per read or write on data connections (default 65536). */
  blockSize?: number;
  transferType?: 'binary' | 'ascii';
  /** OPTS UTF8 ON when offered (default true). */
  utf8?: boolean;
  maxListingEntries?: number;
  maxListingBytes?: number;
  maxTreeDepth?: number;
  maxTreeEntries?: number;
  /** Retry connecting and logging in, and the production layer's policy. */
  retry?: RetryPolicy;
  /** Told before each retry of the production layer. */
  onRetry?: RetryHandler;
  /** Stops connecting. */
  signal?: AbortSignal;
}

export interface CallOptions {
  /** Stops the call: it rejects with an AbortError (FtpError, code 'ERR_FTP_ABORTED'). */
  signal?: AbortSignal;
}

export interface Progress {
  /** Bytes so far (from the start of the file for a resumed transfer). */
  transferred: number;
  /** The whole size, when known. */
  total?: number;
}

/** Runs after every block; return false to stop (the call rejects with ERR_FTP_ABORTED). A throw stops it too and is re-raised. */
export type ProgressHandler = (progress: Progress) => boolean | void;

export interface TransferOptions extends CallOptions {
  onProgress?: ProgressHandler;
}

export interface DownloadOptions extends TransferOptions {
  /** Start at this byte of the remote file (REST). */
  offset?: number;
  /** Same as offset, for streams. */
  start?: number;
  /** To a local path: continue from the local file's length. */
  resume?: boolean;
}

export interface UploadOptions extends TransferOptions {
  /**
   * Resume at this byte of the remote file (REST). A Buffer or local path holds the whole file
   * (the bytes before `offset` are skipped); a stream or descriptor supplies the rest only.
   */
  offset?: number;
  start?: number;
  /** APPE instead of STOR. */
  append?: boolean;
  /** The size, for progress, when uploading from a stream or descriptor. */
  total?: number;
}

export interface ReadStreamOptions extends DownloadOptions {
  highWaterMark?: number;
  chunkSize?: number;
}

export interface WriteStreamOptions extends UploadOptions {
  highWaterMark?: number;
}

export type EntryType = 'file' | 'dir' | 'cdir' | 'pdir' | 'link' | 'other';

/** A listed object. Names and facts come from the server: untrusted. */
export interface Entry {
  /** The name, decoded as UTF-8 (invalid bytes as U+FFFD). */
  name: string;
  /** The name exactly as the server sent it. */
  rawName: Buffer;
  type: EntryType;
  size?: number;
  modified?: Date;
  /** Well-known facts the server gave (MLSD facts; `unix.*` for LIST). */
  facts: Record<string, string>;
  isFile: boolean;
  isDirectory: boolean;
  isSymbolicLink: boolean;
}

export interface Reply {
  code: number;
  /** The server's text: untrusted. */
  text: string;
}

export type SyncAction = 'uploaded' | 'downloaded' | 'skipped' | 'deleted' | 'createdDirectory' | 'failed';

export interface SyncEvent {
  action: SyncAction;
  /** Relative to the synced directories; from the server for mirror(): untrusted. */
  path: string;
  bytes: number;
  filesDone: number;
  filesTotal: number;
  /** Why a path was skipped or failed ("" otherwise). */
  message: string;
  /** For 'failed'. */
  error?: FtpError;
}

export interface SyncOptions extends CallOptions {
  /** Remove what the source lacks. */
  delete?: boolean;
  /** Report the plan, change nothing. */
  dryRun?: boolean;
  /** Told of every path; return false to stop. */
  onEvent?: (event: SyncEvent) => boolean | void;
}

export interface SyncReport {
  events: SyncEvent[];
  uploaded: number;
  downloaded: number;
  skipped: number;
  deleted: number;
  createdDirectories: number;
  failed: number;
}

/** A Readable of a remote file (createReadStream). */
export interface FtpReadStream extends Readable {
  /** The size the server announced, when it did. */
  expectedSize?: number;
}

export class Client implements AsyncDisposable {
  private constructor();

  /**
   * Connects and logs in: a host name or address (with `port`, `user`, `password`), or an
   * ftp://, ftps:// (implicit TLS) or ftpes:// (explicit TLS) URL.
   */
  static connect(target: string | URL, options?: ConnectOptions): Promise<Client>;
  static connect(options: ConnectOptions & { host?: string; url?: string }): Promise<Client>;

  /** The decoded path of the URL connected to ('' without one). */
  readonly urlPath: string;
  readonly closed: boolean;
  /** The server's welcome text: untrusted. */
  readonly welcome: string;
  /** As of the last call that finished (a snapshot: reading never touches a busy handle). */
  readonly lastReplyCode: number;
  readonly lastReplyText: string;
  /** Whether the control connection is under TLS (false after CCC). */
  readonly isTLS: boolean;
  /** Whether the last TLS data connection resumed the control session (undefined before one). */
  readonly dataSessionResumed: boolean | undefined;

  pwd(options?: CallOptions): Promise<string>;
  cd(path: string, options?: CallOptions): Promise<void>;
  cdup(options?: CallOptions): Promise<void>;
  /** Resolves with the path as the server reports it. */
  mkdir(path: string, options?: CallOptions): Promise<string>;
  rmdir(path: string, options?: CallOptions): Promise<void>;
  remove(path: string, options?: CallOptions): Promise<void>;
  rename(from: string, to: string, options?: CallOptions): Promise<void>;
  size(path: string, options?: CallOptions): Promise<number>;
  lastModified(path: string, options?: CallOptions): Promise<Date>;
  setLastModified(path: string, date: Date | number, options?: CallOptions): Promise<void>;
  noop(options?: CallOptions): Promise<void>;
  /** Any command; resolves with the reply whatever its code. CR, LF and NUL are refused. */
  quote(command: string, options?: CallOptions): Promise<Reply>;
  /** Like quote(), rejecting on 4xx and 5xx replies. */
  send(command: string, options?: CallOptions): Promise<Reply>;
  hasFeature(feature: string, options?: CallOptions): Promise<boolean>;
  featureParams(feature: string, options?: CallOptions): Promise<string | undefined>;
  setTransferType(type: 'binary' | 'ascii', options?: CallOptions): Promise<void>;

  /** MLSD where offered, parsed LIST otherwise; without `.` and `..`; with retries. */
  list(path?: string, options?: CallOptions): Promise<Entry[]>;
  /** MLSD, entries as they arrive. The session is held until the loop ends. */
  mlsd(path?: string, options?: CallOptions): AsyncIterableIterator<Entry>;
  /** LIST parsed (Unix and DOS formats), entries as they arrive. */
  listParsed(path?: string, options?: CallOptions): AsyncIterableIterator<Entry>;
  /** MLST: one path's facts. */
  stat(path?: string, options?: CallOptions): Promise<Entry>;
  /** LIST lines as the server sent them: untrusted. */
  listRaw(path?: string, options?: CallOptions): Promise<string[]>;
  /** NLST names: untrusted. */
  nlst(path?: string, options?: CallOptions): Promise<string[]>;
  /** Runs a command in ASCII mode and resolves with its lines (or hands each to onLine). */
  retrLines(command: string, options?: CallOptions & { onLine?: (line: string) => void }): Promise<string[]>;

  downloadBuffer(remote: string, options?: DownloadOptions): Promise<Buffer>;
  /** To a Writable (with backpressure), a local path, or an open file descriptor. */
  download(remote: string, destination: Writable | string | URL | number, options?: DownloadOptions): Promise<void>;
  /** From data in memory, a Readable (or any async iterable of chunks), a local path (a string), or an open file descriptor. */
  upload(source: Buffer | Uint8Array | ArrayBuffer | string | Readable | AsyncIterable<Uint8Array> | number, remote: string, options?: UploadOptions): Promise<void>;
  /** The session is held until the stream ends or is destroyed (ABOR). */
  createReadStream(remote: string, options?: ReadStreamOptions): FtpReadStream;
  /** Finished (server's final reply read) on 'finish'; destroying it aborts the upload. */
  createWriteStream(remote: string, options?: WriteStreamOptions): Writable;

  /** Through a partial file renamed when complete; retried and resumed. */
  downloadFile(remote: string, localPath: string | URL, options?: TransferOptions & { resume?: boolean }): Promise<void>;
  /** Retried, continuing where the server stopped; `temporaryName` uploads to `.NAME.ftpc-part` first. */
  uploadFile(localPath: string | URL, remote: string, options?: TransferOptions & { temporaryName?: boolean }): Promise<void>;
  /** `mkdir -p`. */
  ensureDirectory(path: string, options?: CallOptions): Promise<void>;
  /** Local to remote. Rejects with the first failure (its `report` has every event) when a path failed. */
  sync(localDir: string | URL, remoteDir: string, options?: SyncOptions): Promise<SyncReport>;
  /** Remote to local. */
  mirror(remoteDir: string, localDir: string | URL, options?: SyncOptions): Promise<SyncReport>;
  setRetryPolicy(policy?: RetryPolicy, options?: CallOptions): Promise<void>;
  /** Queued like the other calls. */
  setRetryHandler(handler: RetryHandler | null): Promise<void>;

  /** QUIT after the queued calls, then free. Never rejects. Idempotent. */
  close(): Promise<void>;
  /** Free at once, without QUIT (a call in flight is cancelled). */
  destroy(): void;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Same as Client.connect. */
export function connect(target: string | URL, options?: ConnectOptions): Promise<Client>;
export function connect(options: ConnectOptions & { host?: string; url?: string }): Promise<Client>;
