// A typed use of the package: compiled by `tsc -p examples/tsconfig.json` (no output) to check
// index.d.ts. Not run by the tests.
import { createWriteStream } from 'node:fs';
import { connect, Client, FtpError, type Entry, type SyncReport } from 'ftpc';

async function main(url: string, caFile: string): Promise<void> {
  await using client = await connect(url, { caFile, timeout: 30_000, retry: { maxAttempts: 3 } });
  const entries: Entry[] = await client.list('');
  for (const e of entries) console.log(e.type, e.size ?? '-', JSON.stringify(e.name));
  for await (const e of client.mlsd('')) console.log(e.facts['perm']);

  const ac = new AbortController();
  try {
    await client.downloadFile('big.bin', 'big.bin', {
      signal: ac.signal,
      onProgress: ({ transferred, total }) => { console.log(transferred, total); },
    });
  } catch (err) {
    if (err instanceof FtpError && err.code === 'ERR_FTP_PERMANENT') console.log(err.replyCode);
    else throw err;
  }
  await client.download('a.txt', createWriteStream('a.txt'));
  const data: Buffer = await client.downloadBuffer('a.txt', { offset: 10 });
  await client.upload(data, 'b.txt', { append: true });
  const report: SyncReport = await client.mirror('/', 'local-copy', { dryRun: true });
  console.log(report.downloaded, (await client.quote('SYST')).code);
  const other: Client = await Client.connect('127.0.0.1', { port: 21, user: 'u', password: 'p', tls: 'explicit' });
  other.destroy();
}

main(process.argv[2] ?? 'ftp://127.0.0.1/', process.argv[3] ?? 'ca.pem').catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
