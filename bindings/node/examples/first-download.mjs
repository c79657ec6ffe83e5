// The README's first transfer: a verified TLS download with progress.
//   node examples/first-download.mjs 'ftpes://USER:PASSWORD@HOST/dir/file.bin' ca.pem file.bin
import { connect } from 'ftpc';

const [url, caFile, local] = process.argv.slice(2);
const client = await connect(url, { caFile });
try {
  await client.downloadFile(client.urlPath, local, {
    onProgress: ({ transferred, total }) => console.log(`${transferred} of ${total} bytes`),
  });
  console.log(`saved ${local} (TLS: ${client.isTLS})`);
} finally {
  await client.close();
}
