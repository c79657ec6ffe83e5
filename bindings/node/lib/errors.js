'use strict';

/** The result classes of the C library, by their string codes. */
const CODES = {
  [-1]: 'ERR_FTP_INVALID_ARGUMENT',
  [-2]: 'ERR_FTP_TEMPORARY',
  [-3]: 'ERR_FTP_PERMANENT',
  [-4]: 'ERR_FTP_UNEXPECTED_REPLY',
  [-5]: 'ERR_FTP_PROTOCOL',
  [-6]: 'ERR_FTP_IO',
  [-7]: 'ERR_FTP_TIMEOUT',
  [-8]: 'ERR_FTP_TLS',
  [-9]: 'ERR_FTP_ABORTED',
  [-10]: 'ERR_FTP_BUSY',
  [-11]: 'ERR_FTP_NOT_AVAILABLE',
  [-12]: 'ERR_FTP_PANIC',
  [-13]: 'ERR_FTP_INVALID_STATE',
  [-14]: 'ERR_FTP_INTEGRITY',
};

/**
 * A failure reported by ftpc. `code` is the class ('ERR_FTP_PERMANENT' for a 5xx reply, ...),
 * `replyCode` the server's three-digit reply behind it (0 when there was none, as for a
 * timeout), `result` the C library's numeric result. The message can quote the server's reply:
 * it is untrusted text.
 */
class FtpError extends Error {
  constructor(message, { result = -5, replyCode = 0, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'FtpError';
    this.result = result;
    this.code = CODES[result] || `ERR_FTP_${result}`;
    this.replyCode = replyCode;
  }

  /** Whether the server refused for now (4xx) or a transient failure that may pass. */
  get temporary() {
    return this.code === 'ERR_FTP_TEMPORARY' || this.code === 'ERR_FTP_TIMEOUT';
  }
}

/**
 * The error a call rejects with when its AbortSignal fired: an FtpError with code
 * 'ERR_FTP_ABORTED' whose name is 'AbortError' (as Node's own APIs name theirs) and whose cause
 * is the signal's reason.
 */
function abortError(signal, message = 'The operation was aborted') {
  const err = new FtpError(message, { result: -9, cause: signal ? signal.reason : undefined });
  err.name = 'AbortError';
  return err;
}

module.exports = { FtpError, CODES, abortError };
