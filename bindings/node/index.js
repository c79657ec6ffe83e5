'use strict';
// ftpc for Node: a Promise and stream API over the ftpc C library (libftpc), through koffi.
// See README.md. Named exports are plain assignments so that `import { connect } from 'ftpc'`
// works from ES modules too.

const native = require('./lib/native');
const client = require('./lib/client');
const errors = require('./lib/errors');

exports.Client = client.Client;
exports.connect = client.connect;
exports.FtpError = errors.FtpError;
/** Every error code an FtpError can carry. */
exports.errorCodes = Object.freeze(Object.values(errors.CODES));
/** The version of the loaded C library ("MAJOR.MINOR.PATCH"). */
exports.libraryVersion = native.fn.ftp_version();
