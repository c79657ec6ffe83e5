#!/usr/bin/env node
// A small FTP command line on the ftpc package: ls, get, put, mirror, sync, quote.
// Ctrl-C cancels the transfer in flight (AbortSignal -> ftp_cancel) and closes the session.
//
//   node examples/ftpc.mjs URL ls [DIR]
//   node examples/ftpc.mjs URL get REMOTE [LOCAL]
//   node examples/ftpc.mjs URL put LOCAL [REMOTE]
//   node examples/ftpc.mjs URL mirror REMOTE_DIR LOCAL_DIR
//   node examples/ftpc.mjs URL sync LOCAL_DIR REMOTE_DIR
//   node examples/ftpc.mjs URL quote 'COMMAND ARGS'
//
// URL is ftp://, ftpes:// (explicit TLS) or ftps:// (implicit TLS), with user and password;
// FTPC_CA names a PEM file of CA certificates to trust (besides the system store).
import path from 'node:path';
import { connect, FtpError } from 'ftpc';

// Names and replies come from the server: never print its control characters raw.
const safe = (s) => JSON.stringify(String(s)).slice(1, -1);

const [url, command = 'ls', ...args] = process.argv.slice(2);
if (!url) {
  console.error('usage: ftpc.mjs URL ls|get|put|mirror|sync|quote ...');
  process.exit(2);
}

const controller = new AbortController();
process.once('SIGINT', () => controller.abort(new Error('interrupted')));
const signal = controller.signal;
const progress = (name) => ({ transferred, total }) => {
  process.stderr.write(`\r${name}: ${transferred}${total === undefined ? '' : ` / ${total}`} bytes`);
};

let client;
try {
  client = await connect(url, { caFile: process.env.FTPC_CA, signal, retry: { maxAttempts: 3 } });
  switch (command) {
    case 'ls':
      for (const e of await client.list(args[0] ?? client.urlPath, { signal })) {
        const when = e.modified ? e.modified.toISOString().slice(0, 16).replace('T', ' ') : ''.padEnd(16);
        console.log(`${e.type.padEnd(5)} ${String(e.size ?? '').padStart(12)} ${when} ${safe(e.name)}`);
      }
      break;
    case 'get': {
      const remote = args[0];
      await client.downloadFile(remote, args[1] ?? path.posix.basename(remote), { resume: true, signal, onProgress: progress(remote) });
      process.stderr.write('\n');
      break;
    }
    case 'put': {
      const local = args[0];
      await client.uploadFile(local, args[1] ?? path.basename(local), { temporaryName: true, signal, onProgress: progress(local) });
      process.stderr.write('\n');
      break;
    }
    case 'mirror':
    case 'sync': {
      const run = command === 'mirror' ? client.mirror(args[0], args[1], { signal, onEvent })
        : client.sync(args[0], args[1], { signal, onEvent });
      const r = await run;
      console.log(`uploaded ${r.uploaded}, downloaded ${r.downloaded}, skipped ${r.skipped}, failed ${r.failed}`);
      break;
    }
    case 'quote': {
      const reply = await client.quote(args.join(' '), { signal });
      console.log(reply.code, safe(reply.text));
      break;
    }
    default:
      throw new Error(`unknown command ${command}`);
  }
} catch (err) {
  if (err instanceof FtpError) {
    console.error(`\nftpc: ${safe(err.message)} [${err.code}${err.replyCode ? `, reply ${err.replyCode}` : ''}]`);
  } else {
    console.error(`\nftpc: ${err.message}`);
  }
  process.exitCode = 1;
} finally {
  await client?.close();
}

function onEvent(e) {
  console.log(`${e.action.padEnd(16)} ${safe(e.path)}${e.message ? ` (${safe(e.message)})` : ''}`);
}
