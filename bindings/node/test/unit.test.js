'use strict';
// What needs no FTP server: the error type, option checking, a refused connection, and
// cancelling a connect that a silent peer never answers (a plain TCP listener of this process).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');

const ftpc = require('..');
const { connect, FtpError } = ftpc;
const native = require('../lib/native');

test('the C library loads and reports its version', () => {
  assert.match(ftpc.libraryVersion, /^\d+\.\d+\.\d+$/);
  assert.ok(native.hasCancel(), 'this libftpc has ftp_cancel');
});

test('FtpError carries code, replyCode and result', () => {
  const err = new FtpError('RETR x: 550 nope', { result: -3, replyCode: 550 });
  assert.ok(err instanceof Error);
  assert.equal(err.name, 'FtpError');
  assert.equal(err.code, 'ERR_FTP_PERMANENT');
  assert.equal(err.replyCode, 550);
  assert.equal(err.result, -3);
  assert.equal(new FtpError('t', { result: -2 }).temporary, true);
  assert.ok(ftpc.errorCodes.includes('ERR_FTP_TLS'));
});

test('bad options are refused before anything is sent', async () => {
  await assert.rejects(connect('127.0.0.1', { tls: 'bogus' }), TypeError);
  await assert.rejects(connect('127.0.0.1', { passive: 'sideways' }), TypeError);
  await assert.rejects(connect('127.0.0.1', { timeout: -1 }), TypeError);
  await assert.rejects(connect('127.0.0.1', { blockSize: 0 }), { code: 'ERR_FTP_INVALID_ARGUMENT' });
  await assert.rejects(connect('gopher://127.0.0.1/'), { code: 'ERR_FTP_INVALID_ARGUMENT' });
});

test('a refused connection is ERR_FTP_IO with the handle\'s message', async () => {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  await assert.rejects(connect('127.0.0.1', { port }), (err) => {
    assert.ok(err instanceof FtpError);
    assert.equal(err.code, 'ERR_FTP_IO');
    assert.equal(err.replyCode, 0);
    assert.match(err.message, /127\.0\.0\.1/);
    return true;
  });
});

test('AbortSignal stops a connect that waits for a silent server, long before its timeout', async () => {
  const sockets = [];
  const srv = net.createServer((s) => sockets.push(s)); // accepts, never greets
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  try {
    const t0 = performance.now();
    await assert.rejects(connect('127.0.0.1', { port: srv.address().port, replyTimeout: 20000, signal: AbortSignal.timeout(200) }),
      (err) => err.name === 'AbortError' && err.code === 'ERR_FTP_ABORTED');
    const elapsed = performance.now() - t0;
    assert.ok(elapsed < 3000, `took ${elapsed.toFixed(0)} ms`);
    // The reply timeout, by contrast, is reported as such.
    await assert.rejects(connect('127.0.0.1', { port: srv.address().port, replyTimeout: 300 }),
      { code: 'ERR_FTP_TIMEOUT' });
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => srv.close(r));
  }
  assert.equal(native.contexts.size, 0);
});

test('connect retries a refused connection under a retry policy', async () => {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  let t0 = performance.now();
  await assert.rejects(connect('127.0.0.1', { port }), { code: 'ERR_FTP_IO' });
  const once = performance.now() - t0;
  t0 = performance.now();
  await assert.rejects(connect('127.0.0.1', { port, retry: { maxAttempts: 3, initialDelay: 150, multiplier: 1, jitter: 0 } }),
    { code: 'ERR_FTP_IO' });
  const thrice = performance.now() - t0;
  assert.ok(thrice >= 300 && thrice > once + 250, `${once.toFixed(0)} ms once, ${thrice.toFixed(0)} ms with retries`);
  assert.equal(native.contexts.size, 0);
});

test('the README\'s first download is examples/first-download.mjs (which the server tests run)', () => {
  const fs = require('node:fs');
  const path = require('node:path');
  const code = (text) => text.split('\n').filter((l) => l.trim() && !l.startsWith('//')).join('\n');
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const block = /## A first verified TLS download\n\n```js\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'the README has the section');
  const example = fs.readFileSync(path.join(__dirname, '..', 'examples', 'first-download.mjs'), 'utf8');
  assert.equal(code(block[1]), code(example));
});
