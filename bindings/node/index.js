'use strict';
// ftpc for Node: a Promise API over the ftpc C library (koffi). See README.md.

const native = require('./lib/native');
const { Client, connect } = require('./lib/client');
const { FtpError, CODES } = require('./lib/errors');

/** The version of the loaded C library ("MAJOR.MINOR.PATCH"). */
const libraryVersion = native.fn.ftp_version();

module.exports = { Client, connect, FtpError, errorCodes: Object.values(CODES), libraryVersion };
