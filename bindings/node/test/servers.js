'use strict';
// Starts the project's real test servers (scripts/servers/ftpserver.py) for the tests: each
// prints `READY <port>` once listening and exits when its stdin closes, so a test process that
// dies takes its servers with it; stop() also ends each by its PID.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

const TOP = path.resolve(__dirname, '..', '..', '..');
const PYTHON = path.join(TOP, 'target', 'ftp-venv', 'bin', 'python');
const SCRIPT = path.join(TOP, 'scripts', 'servers', 'ftpserver.py');
const CERTS = path.join(TOP, 'target', 'test-certs');
const USER = 'ftpctest';
const PASSWORD = 'ftpc-test-pw';
const CA = path.join(CERTS, 'ca.pem');

const CONFIGS = [
  { name: 'pyftpdlib', server: 'pyftpdlib', tls: false },
  { name: 'pyftpdlib+tls', server: 'pyftpdlib', tls: true },
  { name: 'vsftpd', server: 'vsftpd', tls: false },
  { name: 'vsftpd+tls', server: 'vsftpd', tls: true },
];

/**
 * Where the tests' files go: under the system's temporary directory, not the checkout, which
 * may sit below a directory the servers' local user cannot enter (a `mktemp -d` clone is 0700).
 */
const BASE = path.join(require('os').tmpdir(), `ftpc-node-tests-${process.getuid()}`);

/** A fresh server root: mode 0777, its parents 0755 (vsftpd logs in a local user). */
function makeRoot(name) {
  const base = BASE;
  fs.mkdirSync(base, { recursive: true });
  fs.chmodSync(base, 0o755);
  const root = fs.mkdtempSync(path.join(base, `${name.replace(/\W/g, '-')}-`));
  fs.chmodSync(root, 0o777);
  return root;
}

/** Starts one server; resolves with { port, root, stop(), ...config }. */
function start(config) {
  const root = makeRoot(config.name);
  const args = [SCRIPT, config.server, '--root', root];
  if (config.tls) {
    args.push('--tls', 'explicit', '--cert', path.join(CERTS, 'server.pem'), '--key', path.join(CERTS, 'server.key'));
  }
  const child = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${config.name}: no READY in 30 s: ${stderr}`)), 30000);
    const rl = readline.createInterface({ input: child.stdout });
    rl.once('line', (line) => {
      clearTimeout(timer);
      const m = /^READY (\d+)/.exec(line);
      if (!m) return reject(new Error(`${config.name}: unexpected ${line}: ${stderr}`));
      return resolve({
        ...config,
        port: Number(m[1]),
        root,
        pid: child.pid,
        stop() {
          return new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.stdin.end();
            process.kill(child.pid, 'SIGTERM');
            return undefined;
          });
        },
      });
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${config.name} exited ${code}: ${stderr}`)); });
  });
}

/** Connection options for a started server. */
function options(srv, extra = {}) {
  const tls = srv.tls ? { tls: 'explicit', caFile: CA, systemRoots: false } : {};
  return { port: srv.port, user: USER, password: PASSWORD, timeout: 20000, ...tls, ...extra };
}

module.exports = { CONFIGS, start, options, USER, PASSWORD, CA, CERTS, TOP, BASE };
