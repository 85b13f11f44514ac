/**
 * A destination that fails while a REM message is written into it (a full disk under the
 * blob writer) fails the write — it does not leave it waiting for a 'drain' that never comes.
 */
import { Readable, Writable } from 'node:stream';
import { writeSignedMessage } from '../../src/rem/signed';

test('an error of the destination between two writes rejects writeSignedMessage instead of hanging', async () => {
  // Accepts the first chunks into its buffer, then fails them later, as a file write does.
  const out = new Writable({
    highWaterMark: 1 << 20,
    write(_chunk, _enc, cb) {
      setTimeout(() => cb(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })), 5);
    },
  });
  out.on('error', () => undefined);
  const slowBody = (): Readable =>
    Readable.from(
      (async function* () {
        for (let i = 0; i < 20; i++) {
          await new Promise((r) => setTimeout(r, 5));
          yield Buffer.from(`line ${i} of a long original\r\n`);
        }
      })(),
    );
  const result = writeSignedMessage({
    headers: [['Subject', 'test']],
    inner: [Buffer.from('Content-Type: text/plain\r\n\r\n'), slowBody],
    signer: { signDigest: async () => Buffer.from([0x30, 0x00]) },
    out,
  });
  await expect(result).rejects.toThrow(/ENOSPC/);
});
