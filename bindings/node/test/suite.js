'use strict';
// The tests every server configuration runs: real transfers against a real server, checked
// bytes, errors with class and reply code, aborts, cancellation, closing.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Readable, Writable } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const v8 = require('node:v8');
const vm = require('node:vm');
const { spawn, execFileSync } = require('node:child_process');

const ftpc = require('..');
const { connect, Client, FtpError } = ftpc;
const servers = require('./servers');
const { registry } = require('../lib/client');
const native = require('../lib/native');

function randomBytes(n) {
  return crypto.randomBytes(n);
}

function sha(buf) {
  return crypto.createHash('sha256').update(buf).digest('hex');
}

function tmpdir(prefix) {
  const base = path.join(servers.BASE, 'local');
  fs.mkdirSync(base, { recursive: true });
  return fs.mkdtempSync(path.join(base, `${prefix}-`));
}

/** A collecting Writable. */
function sink() {
  const chunks = [];
  const w = new Writable({
    write(chunk, enc, cb) { chunks.push(chunk); cb(); },
  });
  w.bytes = () => Buffer.concat(chunks);
  return w;
}

function defineSuite(config) {
  describe(config.name, () => {
    let srv;
    let client;
    const mlsd = config.server === 'pyftpdlib';

    before(async () => {
      srv = await servers.start(config);
      client = await connect('127.0.0.1', servers.options(srv));
    });

    after(async () => {
      if (client) await client.close();
      if (srv) await srv.stop();
    });

    test('connects, logs in, PWD, TLS state as configured', async () => {
      assert.equal(await client.pwd(), '/');
      assert.equal(client.isTLS, config.tls);
      assert.ok(client.welcome.length > 0);
      assert.equal(client.closed, false);
    });

    test('upload from a Buffer and download to a Buffer: same bytes, progress to the total', async () => {
      const data = randomBytes(1024 * 1024 + 17);
      const up = [];
      await client.upload(data, 'buf.bin', { onProgress: (p) => { up.push(p); } });
      assert.ok(up.length > 0);
      assert.equal(up.at(-1).transferred, data.length);
      assert.equal(up.at(-1).total, data.length);
      const down = [];
      const got = await client.downloadBuffer('buf.bin', { onProgress: (p) => { down.push(p.transferred); } });
      assert.equal(sha(got), sha(data));
      assert.equal(down.at(-1), data.length);
      for (let i = 1; i < down.length; i++) assert.ok(down[i] >= down[i - 1]);
      assert.equal(await client.size('buf.bin'), data.length);
      if (config.tls) assert.equal(client.dataSessionResumed, true);
    });

    test('streams: upload from a Readable, download to a Writable, createReadStream/createWriteStream', async () => {
      const data = randomBytes(700 * 1024 + 3);
      const parts = [];
      for (let i = 0; i < data.length; i += 50000) parts.push(data.subarray(i, i + 50000));
      await client.upload(Readable.from(parts), 'stream.bin');
      const w = sink();
      const seen = [];
      await client.download('stream.bin', w, { onProgress: (p) => { seen.push(p); } });
      assert.equal(sha(w.bytes()), sha(data));
      assert.equal(seen.at(-1).transferred, data.length);

      const ws = client.createWriteStream('stream2.bin');
      await pipeline(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), ws);
      const rs = client.createReadStream('stream2.bin');
      const chunks = [];
      for await (const c of rs) chunks.push(c);
      assert.equal(sha(Buffer.concat(chunks)), sha(data));
      assert.equal(rs.expectedSize === undefined || rs.expectedSize === data.length, true);
      // The session is usable again once the stream ended.
      assert.equal(await client.size('stream2.bin'), data.length);
    });

    test('a read stream destroyed early sends ABOR and leaves the session usable', async () => {
      const data = randomBytes(4 * 1024 * 1024);
      await client.upload(data, 'early.bin');
      const rs = client.createReadStream('early.bin');
      let got = 0;
      for await (const c of rs) {
        got += c.length;
        if (got > 100000) break; // destroys the stream
      }
      assert.ok(got > 0);
      assert.equal(await client.size('early.bin'), data.length);
      await client.noop();
    });

    test('resume: download from an offset, upload with REST and with APPE', async () => {
      const data = randomBytes(300000);
      await client.upload(data, 'resume.bin');
      const tail = await client.downloadBuffer('resume.bin', { offset: 123456 });
      assert.equal(sha(tail), sha(data.subarray(123456)));
      const w = sink();
      await client.download('resume.bin', w, { start: 200000 });
      assert.equal(sha(w.bytes()), sha(data.subarray(200000)));

      // A partial upload completed by APPE.
      await client.upload(data.subarray(0, 100000), 'append.bin');
      await client.upload(data.subarray(100000), 'append.bin', { append: true });
      assert.equal(sha(await client.downloadBuffer('append.bin')), sha(data));

      // An interrupted upload resumed from a Buffer holding the whole file (REST + STOR).
      await client.upload(data.subarray(0, 150000), 'rest.bin');
      const progress = [];
      await client.upload(data, 'rest.bin', { offset: await client.size('rest.bin'), onProgress: (p) => { progress.push(p); } });
      assert.equal(sha(await client.downloadBuffer('rest.bin')), sha(data));
      assert.equal(progress.at(-1).transferred, data.length);
      assert.equal(progress.at(-1).total, data.length);
      // The same from a local path.
      const whole = path.join(tmpdir('rest'), 'whole.bin');
      fs.writeFileSync(whole, data);
      await client.upload(data.subarray(0, 99999), 'rest2.bin');
      await client.upload(whole, 'rest2.bin', { offset: 99999 });
      assert.equal(sha(await client.downloadBuffer('rest2.bin')), sha(data));

      // A partial local file completed by a resumed download.
      const dir = tmpdir('resume');
      const local = path.join(dir, 'resume.bin');
      fs.writeFileSync(local, data.subarray(0, 1000));
      await client.download('resume.bin', local, { resume: true });
      assert.equal(sha(fs.readFileSync(local)), sha(data));
    });

    test('downloadFile and uploadFile with progress; ensureDirectory', async () => {
      const dir = tmpdir('files');
      const data = randomBytes(2 * 1024 * 1024 + 5);
      const src = path.join(dir, 'src.bin');
      fs.writeFileSync(src, data);
      await client.ensureDirectory('deep/er/dir');
      await client.ensureDirectory('deep/er/dir'); // exists: fine
      const up = [];
      await client.uploadFile(src, 'deep/er/dir/file.bin', { temporaryName: true, onProgress: (p) => { up.push(p); } });
      assert.equal(up.at(-1).transferred, data.length);
      const down = [];
      const dst = path.join(dir, 'dst.bin');
      await client.downloadFile('deep/er/dir/file.bin', dst, { onProgress: (p) => { down.push(p); } });
      assert.equal(sha(fs.readFileSync(dst)), sha(data));
      assert.equal(down.at(-1).transferred, data.length);
      assert.equal(down.at(-1).total, data.length);
      // No partial file left behind.
      assert.deepEqual(fs.readdirSync(dir).sort(), ['dst.bin', 'src.bin']);
    });

    test('commands: mkdir, cd, rename, remove, rmdir, MDTM/MFMT, FEAT, text lines', async () => {
      const made = await client.mkdir('cmd');
      assert.match(made, /cmd$/);
      await client.cd('cmd');
      assert.equal(await client.pwd(), '/cmd');
      await client.upload(Buffer.from('one\ntwo\nthree\n'), 'lines.txt');
      assert.deepEqual(await client.retrLines('RETR lines.txt'), ['one', 'two', 'three']);
      await client.rename('lines.txt', 'renamed.txt');
      assert.deepEqual(await client.nlst(), ['renamed.txt']);
      const when = await client.lastModified('renamed.txt');
      assert.ok(Math.abs(when.getTime() - Date.now()) < 600000, String(when));
      if (await client.hasFeature('MFMT')) {
        await client.setLastModified('renamed.txt', new Date('2020-02-03T04:05:06Z'));
        assert.equal((await client.lastModified('renamed.txt')).toISOString(), '2020-02-03T04:05:06.000Z');
      }
      assert.equal(await client.hasFeature('NO-SUCH-FEATURE'), false);
      assert.equal(await client.featureParams('NO-SUCH-FEATURE'), undefined);
      if (mlsd) {
        assert.match(await client.featureParams('MLST'), /size/i);
        const st = await client.stat('renamed.txt');
        assert.equal(st.type, 'file');
        assert.equal(st.size, 14);
      }
      await client.setTransferType('ascii');
      await client.setTransferType('binary');
      await client.remove('renamed.txt');
      await client.cdup();
      await client.rmdir('cmd');
      await assert.rejects(client.cd('cmd'), { code: 'ERR_FTP_PERMANENT', replyCode: 550 });
    });

    test('list: parsed entries with names, types and sizes; raw LIST and NLST', async () => {
      await client.ensureDirectory('ls/sub');
      await client.upload(Buffer.alloc(1234, 1), 'ls/a.txt');
      await client.upload(Buffer.alloc(99, 2), 'ls/b b.txt');
      const entries = await client.list('ls');
      const byName = Object.fromEntries(entries.map((e) => [e.name, e]));
      assert.deepEqual(Object.keys(byName).sort(), ['a.txt', 'b b.txt', 'sub']);
      assert.equal(byName['a.txt'].type, 'file');
      assert.equal(byName['a.txt'].isFile, true);
      assert.equal(byName['a.txt'].size, 1234);
      assert.equal(byName['b b.txt'].size, 99);
      assert.equal(byName.sub.type, 'dir');
      assert.equal(byName.sub.isDirectory, true);
      assert.ok(byName['a.txt'].modified instanceof Date);
      assert.ok(Buffer.isBuffer(byName['a.txt'].rawName));

      const streamed = [];
      const iterator = mlsd ? client.mlsd('ls') : client.listParsed('ls');
      for await (const e of iterator) if (e.type === 'file' || e.type === 'dir') streamed.push(e.name);
      assert.deepEqual(streamed.sort(), ['a.txt', 'b b.txt', 'sub']);

      const raw = await client.listRaw('ls');
      assert.equal(raw.length, 3);
      assert.ok(raw.some((l) => l.endsWith('a.txt')));
      const names = (await client.nlst('ls')).map((n) => n.split('/').pop());
      assert.deepEqual(names.sort(), ['a.txt', 'b b.txt', 'sub']);
    });

    test('sync uploads a tree and mirror downloads it, with events', async () => {
      const local = tmpdir('sync');
      fs.mkdirSync(path.join(local, 'x', 'y'), { recursive: true });
      const files = { 'one.txt': randomBytes(1000), 'x/two.bin': randomBytes(70000), 'x/y/three.bin': randomBytes(5) };
      for (const [name, data] of Object.entries(files)) fs.writeFileSync(path.join(local, name), data);
      await client.ensureDirectory('synced');
      const dry = await client.sync(local, 'synced', { dryRun: true });
      assert.equal(dry.uploaded, 3);
      assert.deepEqual(await client.list('synced'), []);
      const seen = [];
      const report = await client.sync(local, 'synced', { onEvent: (e) => { seen.push(e.action + ':' + e.path); } });
      assert.equal(report.uploaded, 3);
      assert.equal(report.failed, 0);
      assert.ok(seen.includes('uploaded:x/two.bin'), seen.join(','));
      const again = await client.sync(local, 'synced');
      assert.equal(again.uploaded, 0);
      assert.equal(again.skipped, 3);

      // An event handler returning false stops the walk.
      const stopped = tmpdir('stopped');
      let events = 0;
      await assert.rejects(client.mirror('synced', stopped, { onEvent: () => { events++; return false; } }),
        (err) => err.code === 'ERR_FTP_ABORTED' && err.report.events.length === 1);
      assert.equal(events, 1);

      const back = tmpdir('mirror');
      const m = await client.mirror('synced', back);
      assert.equal(m.downloaded, 3);
      for (const [name, data] of Object.entries(files)) {
        assert.equal(sha(fs.readFileSync(path.join(back, name))), sha(data), name);
      }
    });

    test('errors carry the class and the reply code; the session stays usable', async () => {
      await assert.rejects(client.size('no-such-file'), (err) => {
        assert.ok(err instanceof FtpError);
        assert.equal(err.code, 'ERR_FTP_PERMANENT');
        assert.equal(err.replyCode, 550);
        assert.match(err.message, /no-such-file/);
        return true;
      });
      await assert.rejects(client.downloadBuffer('no-such-file'), { code: 'ERR_FTP_PERMANENT', replyCode: 550 });
      await assert.rejects(client.downloadFile('no-such-file', path.join(tmpdir('err'), 'x')), { code: 'ERR_FTP_PERMANENT', replyCode: 550 });
      await assert.rejects(client.cd('no-such-dir'), { code: 'ERR_FTP_PERMANENT', replyCode: 550 });
      await assert.rejects(client.quote('NOOP\r\nDELE x'), { code: 'ERR_FTP_INVALID_ARGUMENT' });
      const reply = await client.quote('NOSUCHCOMMAND');
      assert.equal(reply.code, 500);
      await assert.rejects(client.send('NOSUCHCOMMAND'), { code: 'ERR_FTP_PERMANENT', replyCode: 500 });
      // Streams report the same errors, and free the session when they fail.
      await assert.rejects((async () => { for await (const c of client.createReadStream('no-such-file')) void c; })(),
        { code: 'ERR_FTP_PERMANENT', replyCode: 550 });
      await assert.rejects(pipeline(Readable.from([Buffer.from('x')]), client.createWriteStream('no-such-dir/x')),
        (err) => err.code === 'ERR_FTP_PERMANENT' && err.replyCode >= 550);
      // An upload stream destroyed with an error aborts the transfer and re-raises that error.
      const boom = new Error('source failed');
      const ws = client.createWriteStream('half.bin');
      async function* failing() {
        yield randomBytes(300000);
        throw boom;
      }
      await assert.rejects(pipeline(failing(), ws), (err) => err === boom);
      assert.equal(ws.destroyed, true);
      const syst = await client.send('SYST');
      assert.equal(syst.code, 215);
      assert.equal(await client.pwd(), '/');
    });

    test('a progress callback returning false aborts; one that throws is re-raised', async () => {
      await client.upload(randomBytes(3 * 1024 * 1024), 'abort.bin');
      await assert.rejects(client.downloadBuffer('abort.bin', { onProgress: (p) => p.transferred < 200000 }),
        { code: 'ERR_FTP_ABORTED' });
      const boom = new Error('boom');
      await assert.rejects(client.downloadFile('abort.bin', path.join(tmpdir('abort'), 'x'), {
        onProgress: () => { throw boom; },
      }), (err) => err === boom);
      await assert.rejects(client.upload(randomBytes(2 * 1024 * 1024), 'abort-up.bin', {
        onProgress: () => { throw boom; },
      }), (err) => err === boom);
      // Still usable, and the aborted upload did not claim success.
      assert.equal(await client.size('abort.bin'), 3 * 1024 * 1024);
    });

    test('AbortSignal cancels a transfer in flight; the session stays usable', async () => {
      const data = randomBytes(8 * 1024 * 1024);
      await client.upload(data, 'cancel.bin');
      const ac = new AbortController();
      let calls = 0;
      const p = client.downloadBuffer('cancel.bin', {
        signal: ac.signal,
        onProgress: () => { if (++calls === 2) ac.abort(new Error('user gave up')); },
      });
      await assert.rejects(p, (err) => {
        assert.equal(err.name, 'AbortError');
        assert.equal(err.code, 'ERR_FTP_ABORTED');
        assert.equal(err.cause.message, 'user gave up');
        return true;
      });
      // An already aborted signal rejects at once; a queued call sees it too.
      await assert.rejects(client.size('cancel.bin', { signal: AbortSignal.abort() }), { name: 'AbortError' });
      // A call waiting in the queue behind a transfer rejects as soon as its signal fires.
      const busy = client.downloadBuffer('cancel.bin');
      const ac3 = new AbortController();
      const queued = client.size('cancel.bin', { signal: ac3.signal });
      const t0 = performance.now();
      setTimeout(() => ac3.abort(), 1);
      await assert.rejects(queued, { name: 'AbortError' });
      assert.ok(performance.now() - t0 < 1000);
      assert.equal(sha(await busy), sha(data));
      // A stream cancelled through its signal.
      const ac2 = new AbortController();
      const rs = client.createReadStream('cancel.bin', { signal: ac2.signal });
      let got = 0;
      await assert.rejects((async () => {
        for await (const c of rs) { got += c.length; if (got > 65536) ac2.abort(); }
      })(), { name: 'AbortError' });
      assert.equal(sha(await client.downloadBuffer('cancel.bin')), sha(data));
    });

    test('transfers never block the event loop: a timer keeps firing during a slow transfer', async () => {
      // The slow end is local: a FIFO that another process drains (download) or fills (upload)
      // at about 3 MB/s, so the native call stays inside the worker thread for ~0.5 s.
      const dir = tmpdir('loop');
      const data = randomBytes(1536 * 1024);
      await client.upload(data, 'loop.bin');
      const slowPy = (mode, fifo, out) => withExit(spawn(path.join(servers.TOP, 'target', 'ftp-venv', 'bin', 'python'), ['-c', `
import sys, time
mode, fifo, other = sys.argv[1], sys.argv[2], sys.argv[3]
if mode == 'read':
    with open(fifo, 'rb') as f, open(other, 'wb') as o:
        while True:
            b = f.read(32768)
            if not b: break
            o.write(b); time.sleep(0.01)
else:
    data = open(other, 'rb').read()
    with open(fifo, 'wb') as f:
        for i in range(0, len(data), 32768):
            f.write(data[i:i + 32768]); f.flush(); time.sleep(0.01)
`, mode, fifo, out], { stdio: 'inherit' }));
      const withExit = (child) => {
        child.exitPromise = new Promise((resolve) => child.once('exit', resolve));
        return child;
      };
      const measure = async (op) => {
        let ticks = 0;
        let maxGap = 0;
        let last = performance.now();
        const timer = setInterval(() => {
          const now = performance.now();
          maxGap = Math.max(maxGap, now - last);
          last = now;
          ticks++;
        }, 5);
        const t0 = performance.now();
        await op();
        const elapsed = performance.now() - t0;
        clearInterval(timer);
        assert.ok(elapsed > 200, `the transfer was too fast (${elapsed.toFixed(0)} ms) to show anything`);
        assert.ok(ticks >= elapsed / 25, `only ${ticks} ticks in ${elapsed.toFixed(0)} ms`);
        assert.ok(maxGap < 100, `the event loop stalled for ${maxGap.toFixed(0)} ms`);
      };
      // Listen for the exit at once: the child may end before the transfer's promise settles.
      const exited = (child) => child.exitPromise;

      const down = path.join(dir, 'down.fifo');
      execFileSync('mkfifo', [down]);
      const reader = slowPy('read', down, path.join(dir, 'down.bin'));
      const wfh = await fs.promises.open(down, 'w'); // once the reader has opened its end
      try {
        await measure(() => client.download('loop.bin', wfh.fd));
      } finally {
        await wfh.close();
      }
      assert.equal(await exited(reader), 0);
      assert.equal(sha(fs.readFileSync(path.join(dir, 'down.bin'))), sha(data));

      const up = path.join(dir, 'up.fifo');
      execFileSync('mkfifo', [up]);
      fs.writeFileSync(path.join(dir, 'up.bin'), data);
      const writer = slowPy('write', up, path.join(dir, 'up.bin'));
      const rfh = await fs.promises.open(up, 'r');
      try {
        await measure(() => client.upload(rfh.fd, 'loop-up.bin', { total: data.length }));
      } finally {
        await rfh.close();
      }
      assert.equal(await exited(writer), 0);
      assert.equal(sha(await client.downloadBuffer('loop-up.bin')), sha(data));
    });

    test('AbortSignal stops a native transfer (ftp_cancel) soon, and the session reconnects', async () => {
      const dir = tmpdir('cancel-native');
      const data = randomBytes(4 * 1024 * 1024);
      await client.upload(data, 'slow-cancel.bin');
      const fifo = path.join(dir, 'c.fifo');
      execFileSync('mkfifo', [fifo]);
      // A reader draining ~1 MB/s: the whole download would take about 4 s.
      const reader = spawn(path.join(servers.TOP, 'target', 'ftp-venv', 'bin', 'python'), ['-c',
        'import sys,time\nf=open(sys.argv[1],"rb")\nwhile f.read(16384): time.sleep(0.015)\n', fifo], { stdio: 'inherit' });
      const readerExit = new Promise((resolve) => reader.once('exit', resolve));
      const fh = await fs.promises.open(fifo, 'w');
      const t0 = performance.now();
      try {
        await assert.rejects(client.download('slow-cancel.bin', fh.fd, { signal: AbortSignal.timeout(300) }),
          (err) => err.name === 'AbortError' && err.code === 'ERR_FTP_ABORTED');
      } finally {
        await fh.close();
      }
      const elapsed = performance.now() - t0;
      assert.ok(elapsed < 2000, `cancel took ${elapsed.toFixed(0)} ms`);
      await readerExit;
      // The connections were cut: the next call logs in again, in the same directory.
      assert.equal(await client.pwd(), '/');
      assert.equal(sha(await client.downloadBuffer('slow-cancel.bin')), sha(data));
    });

    test('calls on one client are queued; two clients transfer at once', async () => {
      await client.upload(Buffer.from('queued'), 'q.txt');
      // The getters answer while a transfer runs, from the last snapshot.
      const running = client.downloadBuffer('q.txt');
      assert.equal(client.isTLS, config.tls);
      assert.equal(typeof client.lastReplyCode, 'number');
      assert.ok(client.welcome.length > 0);
      await running;
      assert.equal(client.lastReplyCode, 226);
      const sizes = await Promise.all([client.size('q.txt'), client.pwd(), client.size('q.txt'), client.downloadBuffer('q.txt')]);
      assert.deepEqual(sizes.slice(0, 3), [6, '/', 6]);
      assert.equal(sizes[3].toString(), 'queued');
      const other = await connect('127.0.0.1', servers.options(srv));
      try {
        const a = randomBytes(500000);
        const b = randomBytes(600000);
        await Promise.all([client.upload(a, 'para-a.bin'), other.upload(b, 'para-b.bin')]);
        const [ga, gb] = await Promise.all([other.downloadBuffer('para-a.bin'), client.downloadBuffer('para-b.bin')]);
        assert.equal(sha(ga), sha(a));
        assert.equal(sha(gb), sha(b));
      } finally {
        await other.close();
      }
    });

    test('eight clients transfer at once, more than libuv\'s default four threads', async () => {
      const clients = await Promise.all(Array.from({ length: 8 }, () => connect('127.0.0.1', servers.options(srv))));
      try {
        const blobs = clients.map(() => randomBytes(400000));
        await Promise.all(clients.map((c, i) => c.upload(blobs[i], `eight-${i}.bin`)));
        const got = await Promise.all(clients.map((c, i) => c.downloadBuffer(`eight-${(i + 1) % 8}.bin`)));
        got.forEach((g, i) => assert.equal(sha(g), sha(blobs[(i + 1) % 8]), `client ${i}`));
      } finally {
        await Promise.all(clients.map((c) => c.close()));
      }
    });

    test('connect by URL', async () => {
      const scheme = config.tls ? 'ftpes' : 'ftp';
      await client.ensureDirectory('urldir');
      await client.upload(Buffer.from('by url'), 'urldir/u.txt');
      const url = `${scheme}://${servers.USER}:${servers.PASSWORD}@127.0.0.1:${srv.port}/urldir`;
      const extra = config.tls ? { caFile: servers.CA, systemRoots: false } : {};
      const c = await connect(url, extra);
      try {
        assert.equal(c.urlPath, 'urldir');
        assert.equal(c.isTLS, config.tls);
        assert.equal((await c.downloadBuffer('/urldir/u.txt')).toString(), 'by url');
      } finally {
        await c.close();
      }
      // The password given apart from the URL.
      const c2 = await Client.connect(`${scheme}://${servers.USER}@127.0.0.1:${srv.port}/`, { password: servers.PASSWORD, ...extra });
      await c2.close();
      await assert.rejects(connect(`${scheme}://${servers.USER}:wrong@127.0.0.1:${srv.port}/`, extra),
        (err) => err instanceof FtpError && err.code === 'ERR_FTP_PERMANENT' && err.replyCode === 530);
    });

    test('retry policy and handler', async () => {
      const c = await connect('127.0.0.1', servers.options(srv, { retry: { maxAttempts: 2, initialDelay: 10 } }));
      try {
        const told = [];
        await c.setRetryHandler((info) => { told.push(info); return false; });
        await c.setRetryPolicy({ maxAttempts: 3, initialDelay: 10, multiplier: 2, maxDelay: 100, jitter: 0 });
        await c.upload(Buffer.from('x'), 'retry.txt');
        await c.downloadFile('retry.txt', path.join(tmpdir('retry'), 'r.txt'));
        // A permanent error is never retried.
        await assert.rejects(c.downloadFile('nope.txt', path.join(tmpdir('retry'), 'n.txt')), { code: 'ERR_FTP_PERMANENT' });
        assert.equal(told.length, 0);
        await assert.rejects(c.setRetryPolicy({ maxAttempts: 0 }), { code: 'ERR_FTP_INVALID_ARGUMENT' });
        await c.setRetryHandler(null);
      } finally {
        await c.close();
      }
    });

    test('the production layer retries a lost server, telling the retry handler', async () => {
      // A server of its own, stopped under the client: every attempt fails transiently.
      const own = await servers.start({ ...config, name: `${config.name}-retry` });
      const c = await connect('127.0.0.1', servers.options(own));
      try {
        await c.upload(Buffer.from('gone soon'), 'r.txt');
        await c.setRetryPolicy({ maxAttempts: 3, initialDelay: 20, multiplier: 1, jitter: 0 });
        const told = [];
        await c.setRetryHandler((info) => { told.push(info); });
        await own.stop();
        await assert.rejects(c.downloadFile('r.txt', path.join(tmpdir('lost'), 'r.txt')), (err) => err instanceof FtpError);
        assert.deepEqual(told.map((t) => t.attempt), [1, 2]);
        assert.ok(told.every((t) => t.error instanceof FtpError && t.delay === 20));
        // A handler returning false vetoes the retry.
        const vetoed = [];
        await c.setRetryHandler((info) => { vetoed.push(info); return false; });
        await assert.rejects(c.downloadFile('r.txt', path.join(tmpdir('lost'), 'r.txt')), (err) => err instanceof FtpError);
        assert.equal(vetoed.length, 1);
      } finally {
        c.destroy();
        await own.stop();
      }
    });

    test('close, Symbol.asyncDispose and the finalizer free the handle', async () => {
      const c = await connect('127.0.0.1', servers.options(srv));
      await c[Symbol.asyncDispose]();
      assert.equal(c.closed, true);
      await assert.rejects(c.pwd(), { code: 'ERR_FTP_INVALID_STATE' });
      await c.close(); // idempotent

      const d = await connect('127.0.0.1', servers.options(srv));
      d.destroy();
      await assert.rejects(d.pwd(), { code: 'ERR_FTP_INVALID_STATE' });

      // destroy() ends a stream nobody reads, which holds the session, and frees the handle.
      const e = await connect('127.0.0.1', servers.options(srv));
      await e.upload(randomBytes(2 * 1024 * 1024), 'held.bin');
      const held = e.createReadStream('held.bin');
      await new Promise((r) => held.once('readable', r));
      const heldError = new Promise((r) => held.once('error', r));
      e.destroy();
      assert.equal((await heldError).code, 'ERR_FTP_INVALID_STATE');
      await e.close();
      assert.equal(e._state.ptr, null);

      // Dropped without close(): the FinalizationRegistry frees it.
      const before = registry.finalized;
      await (async () => {
        await connect('127.0.0.1', servers.options(srv));
        // One whose retry handler closes over it: the callback table must not keep it alive.
        const holder = {};
        holder.client = await connect('127.0.0.1', servers.options(srv, { onRetry: () => holder.client.closed }));
      })();
      v8.setFlagsFromString('--expose-gc');
      const gc = vm.runInNewContext('gc');
      for (let i = 0; i < 50 && registry.finalized === before; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 20));
      }
      for (let i = 0; i < 50 && registry.finalized < before + 2; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(registry.finalized, before + 2, 'both dropped clients were finalized');
      // No callback key is left behind by the calls above.
      assert.equal(native.contexts.size, client._state.retryKey === null ? 0 : 1);
    });

    test('the README first download and the example command line run as documented', async () => {
      const data = randomBytes(200000);
      await client.ensureDirectory('ex');
      await client.upload(data, 'ex/file.bin');
      const scheme = config.tls ? 'ftpes' : 'ftp';
      const url = `${scheme}://${servers.USER}:${servers.PASSWORD}@127.0.0.1:${srv.port}/ex/file.bin`;
      const out = path.join(tmpdir('example'), 'file.bin');
      const here = path.join(__dirname, '..');
      const run = (args, env = {}) => execFileSync(process.execPath, args, { cwd: here, env: { ...process.env, ...env }, encoding: 'utf8' });
      const printed = run(['examples/first-download.mjs', url, servers.CA, out]);
      assert.match(printed, new RegExp(`200000 of 200000 bytes\\nsaved .* \\(TLS: ${config.tls}\\)`));
      assert.equal(sha(fs.readFileSync(out)), sha(data));
      const listing = run(['examples/ftpc.mjs', `${scheme}://${servers.USER}:${servers.PASSWORD}@127.0.0.1:${srv.port}/`, 'ls', 'ex'], { FTPC_CA: servers.CA });
      assert.match(listing, /^file +200000 .* file\.bin$/m);
    });

    if (config.tls) {
      test('TLS verification: a wrong CA fails with ERR_FTP_TLS, the right one passes', async () => {
        const wrong = path.join(servers.CERTS, 'selfsigned.pem');
        await assert.rejects(connect('127.0.0.1', servers.options(srv, { caFile: wrong })),
          (err) => err instanceof FtpError && err.code === 'ERR_FTP_TLS');
        // Without any CA the system store alone does not know the test CA.
        await assert.rejects(connect('127.0.0.1', servers.options(srv, { caFile: undefined, systemRoots: true })), { code: 'ERR_FTP_TLS' });
        await assert.rejects(connect('127.0.0.1', servers.options(srv, { caFile: undefined })), { code: 'ERR_FTP_INVALID_ARGUMENT' });
        const ok = await connect('127.0.0.1', servers.options(srv, { servername: 'localhost' }));
        assert.equal(ok.isTLS, true);
        await ok.close();
      });
    }
  });
}

module.exports = { defineSuite };
