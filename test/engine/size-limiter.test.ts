import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SizeLimiter } from '../../src/engine/size-limiter';
import { MimeShapeMeter } from '../../src/mime/shape';

async function run(chunks: Buffer[], limit: number): Promise<{ limiter: SizeLimiter; meter: MimeShapeMeter; passed: Buffer }> {
  const meter = new MimeShapeMeter({ maxDepth: 10 });
  const limiter = new SizeLimiter(limit, meter);
  const out: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk);
      cb();
    },
  });
  await pipeline(Readable.from(chunks), limiter, sink);
  return { limiter, meter, passed: Buffer.concat(out) };
}

const message = Buffer.from('From: a@b.kep\r\nSubject: x\r\n\r\n' + 'line of the body\r\n'.repeat(20));

test('under the limit every byte passes, is measured and hashed', async () => {
  const chunks = [message.subarray(0, 7), message.subarray(7, 100), message.subarray(100)];
  const { limiter, meter, passed } = await run(chunks, message.length);
  expect(passed).toEqual(message);
  expect(limiter.size).toBe(message.length);
  expect(limiter.hash.digest()).toEqual(createHash('sha256').update(message).digest());
  expect(meter.result().headerComplete).toBe(true);
});

test('over the limit only the first `limit` bytes pass and are measured; all are counted and hashed', async () => {
  const limit = 40;
  const chunks = [message.subarray(0, 30), message.subarray(30, 50), message.subarray(50)];
  const { limiter, meter, passed } = await run(chunks, limit);
  expect(passed).toEqual(message.subarray(0, limit));
  expect(limiter.size).toBe(message.length);
  expect(limiter.hash.digest()).toEqual(createHash('sha256').update(message).digest());
  // The meter saw 40 bytes: the header (29 bytes with its blank line) and 11 of the body.
  const shape = meter.result();
  expect(shape.headerBytes).toBe('From: a@b.kep\r\nSubject: x\r\n\r\n'.length);
  expect(shape.longestLine).toBeLessThanOrEqual(limit);
});
