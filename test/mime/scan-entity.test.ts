import { randomBytes, randomInt } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanEntity } from '../../src/mime/scan-entity';
import { MimeFormatError } from '../../src/mime/errors';
import { bufferSource, fileSource, hashRange, subSource } from '../../src/mime/sources';
import { ReasonCode } from '../../src/errors';
import { chunkedSource, referenceParts } from '../support/mime';
import { tempDir } from '../support/pki';

const crlf = (s: string) => Buffer.from(s.replace(/\n/g, '\r\n'), 'latin1');
const BCHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?";

describe('scanEntity', () => {
  test('single-part entity: header end, headers, default content type', async () => {
    const msg = crlf('From: a@kep.test\nSubject: hi\n\nbody\n');
    const e = await scanEntity(bufferSource(msg));
    expect(e.headerEnd).toBe(msg.indexOf('body'));
    expect(e.headers.map((h) => h.key)).toEqual(['from', 'subject']);
    expect(e.contentType.mime).toBe('text/plain');
    expect(e.parts).toBeUndefined();
  });

  test('multipart: part ranges exclude the CRLF before each delimiter', async () => {
    const msg = crlf(
      'Content-Type: multipart/mixed; boundary="b1"\n\n' +
        'preamble\n' +
        '--b1\n' +
        'Content-Type: text/plain\n\none\n' +
        '--b1  \n' + // transport padding
        '\ntwo (no headers)\n\n' +
        '--b1--\n' +
        'epilogue --b1\n',
    );
    const e = await scanEntity(bufferSource(msg));
    const parts = e.parts!.map((p) => msg.subarray(p.start, p.end).toString());
    expect(parts).toEqual(['Content-Type: text/plain\r\n\r\none', '\r\ntwo (no headers)\r\n']);
  });

  test('headerOnly: the header and content type, no body scan (an unterminated multipart passes)', async () => {
    const msg = crlf('Content-Type: multipart/mixed; boundary="b1"\nSubject: x\n\n--b1\nnever closed\n');
    const e = await scanEntity(bufferSource(msg), { headerOnly: true });
    expect(e.contentType.params.boundary).toBe('b1');
    expect(e.headers.map((h) => h.key)).toEqual(['content-type', 'subject']);
    expect(e.parts).toBeUndefined();
    await expect(scanEntity(bufferSource(msg))).rejects.toBeInstanceOf(MimeFormatError);
  });

  test('delimiter at the very start of the body, empty parts, boundary-like text', async () => {
    const msg = crlf('Content-Type: multipart/mixed; boundary=xy\n\n--xy\n\n--xy\nA: --xy\n\n --xy not\n--xyz\n--xy--');
    const e = await scanEntity(bufferSource(msg));
    expect(e.parts!.map((p) => msg.subarray(p.start, p.end).toString())).toEqual(['', 'A: --xy\r\n\r\n --xy not\r\n--xyz']);
  });

  test('LF-only input when allowed', async () => {
    const msg = Buffer.from('Content-Type: multipart/mixed; boundary=q\n\n--q\nA: 1\n\nx\n--q--\n');
    await expect(scanEntity(bufferSource(msg))).rejects.toThrow(/bare LF/);
    const e = await scanEntity(bufferSource(msg), { allowBareLf: true });
    expect(e.parts!.map((p) => msg.subarray(p.start, p.end).toString())).toEqual(['A: 1\n\nx']);
  });

  describe('malformed input -> MimeFormatError', () => {
    test.each([
      ['no blank line', crlf('A: 1\nB: 2\n')],
      ['missing boundary', crlf('Content-Type: multipart/mixed\n\n--x\n\nx\n--x--\n')],
      ['no closing delimiter', crlf('Content-Type: multipart/mixed; boundary=x\n\n--x\n\nx\n--x\n\ny\n')],
      ['no delimiter at all', crlf('Content-Type: multipart/mixed; boundary=x\n\njust text\n')],
      ['bare LF in a CRLF header', Buffer.from('A: 1\r\nB: 2\nC: 3\r\n\r\nbody')],
    ])('%s', async (_name, msg) => {
      const err = await scanEntity(bufferSource(msg)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MimeFormatError);
      expect((err as MimeFormatError).reason).toBe(ReasonCode.InvalidMessageFormat);
    });

    test('header larger than maxHeaderBytes', async () => {
      const msg = Buffer.concat([crlf('A: ' + 'x'.repeat(5000) + '\n\nbody')]);
      await expect(scanEntity(bufferSource(msg), { maxHeaderBytes: 1000 })).rejects.toThrow(/within 1000 bytes/);
      await expect(scanEntity(bufferSource(msg), { maxHeaderBytes: 10000 })).resolves.toBeDefined();
    });
  });

  test('streams: a 100 MB body is scanned without reading the epilogue, in bounded chunks', async () => {
    const { dir, cleanup } = tempDir('kepd-mime-');
    try {
      const big = Buffer.alloc(100 * 1024 * 1024, 'a');
      for (let i = 1000; i < big.length; i += 1000) big[i] = 0x0a; // lines
      const head = crlf('Content-Type: multipart/mixed; boundary="=_b"\n\n--=_b\nContent-Type: application/octet-stream\n\n');
      const tail = crlf('\n--=_b--\n');
      const file = join(dir, 'big.eml');
      writeFileSync(file, Buffer.concat([head, big, tail, Buffer.alloc(1024 * 1024, 'e')]));
      const src = fileSource(file);
      const e = await scanEntity(src);
      expect(e.parts).toHaveLength(1);
      expect(e.parts![0].end - e.parts![0].start).toBe(big.length + 'Content-Type: application/octet-stream\r\n\r\n'.length);
      expect(await hashRange(subSource(src, e.parts![0].start, e.parts![0].end), 'sha256')).toEqual(
        await hashRange(bufferSource(Buffer.concat([crlf('Content-Type: application/octet-stream\n\n'), big])), 'sha256'),
      );
    } finally {
      cleanup();
    }
  });

  describe('fuzz: random structures and chunkings agree with the reference split', () => {
    function randomText(max: number, boundary: string, lf: boolean): string {
      const all = ['x', 'hello world', '\r\n', '\n', '--', ' ', '\t', `--${boundary}X`, ` --${boundary}`, `-${boundary}`, `--${boundary.slice(0, -1)}`, '\r', '\u00e7'];
      // LF-only messages hold no CR: a part ending in CR would be read as ending in CRLF.
      const pieces = lf ? all.filter((p) => !p.includes('\r')) : all;
      let s = '';
      const n = randomInt(0, max);
      for (let i = 0; i < n; i++) s += pieces[randomInt(pieces.length)];
      return s;
    }
    function randomBoundary(): string {
      let b = '';
      const n = randomInt(1, 71);
      for (let i = 0; i < n; i++) b += BCHARS[randomInt(BCHARS.length)];
      return b.replace(/ $/, '_');
    }
    function build(boundary: string, parts: string[], preamble: string, epilogue: string, lf: boolean): Buffer {
      const nl = lf ? '\n' : '\r\n';
      let body = preamble ? preamble + nl : '';
      for (const p of parts) body += `--${boundary}${randomInt(4) === 0 ? ' \t' : ''}${nl}${p}${nl}`;
      body += `--${boundary}--${epilogue ? nl + epilogue : randomInt(2) ? nl : ''}`;
      return Buffer.from(`Content-Type: multipart/mixed; boundary="${boundary}"${nl}${nl}${body}`, 'latin1');
    }

    test('400 random messages, random chunk sizes', async () => {
      for (let round = 0; round < 400; round++) {
        const boundary = randomBoundary();
        const lf = round % 5 === 0;
        const parts = [...Array(randomInt(1, 5))].map(() => randomText(20, boundary, lf));
        const msg = build(boundary, parts, randomInt(2) ? randomText(8, boundary, lf) : '', randomInt(2) ? randomText(8, boundary, lf) : '', lf);
        const maxChunk = [1, 2, 3, 7, 64, 1000][round % 6];
        const src = chunkedSource(msg, () => randomInt(1, maxChunk + 1));
        const expected = referenceParts(msg, msg.indexOf(lf ? '\n\n' : '\r\n\r\n') + (lf ? 2 : 4), boundary);
        const got = await scanEntity(src, { allowBareLf: lf }).then(
          (e) => e.parts,
          (e: Error) => (e instanceof MimeFormatError ? 'unclosed' : e.message),
        );
        if (JSON.stringify(got) !== JSON.stringify(expected)) {
          throw new Error(`mismatch for ${JSON.stringify(msg.toString('latin1'))}: got ${JSON.stringify(got)} expected ${JSON.stringify(expected)}`);
        }
        // A source that holds its bytes in memory is scanned without a stream: same answer.
        const inMemory = await scanEntity(bufferSource(msg), { allowBareLf: lf }).then(
          (e) => e.parts,
          (e: Error) => (e instanceof MimeFormatError ? 'unclosed' : e.message),
        );
        if (JSON.stringify(inMemory) !== JSON.stringify(expected)) {
          throw new Error(`in-memory mismatch for ${JSON.stringify(msg.toString('latin1'))}: got ${JSON.stringify(inMemory)} expected ${JSON.stringify(expected)}`);
        }
        // Random text can contain a real delimiter line; when it does not, we find exactly the built parts.
        if (expected !== 'unclosed' && expected.length === parts.length) {
          const split = expected.map((p) => msg.subarray(p.start, p.end).toString('latin1'));
          if (JSON.stringify(split) !== JSON.stringify(parts)) throw new Error(`built ${JSON.stringify(parts)} msg ${JSON.stringify(msg.toString('latin1'))}`);
        }
      }
    });

    test('a delimiter straddling the 64 KB chunk edge, at every offset', async () => {
      const boundary = 'straddle-' + randomBytes(6).toString('hex');
      const headerLen = `Content-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n`.length;
      const firstLine = `--${boundary}\r\n`.length;
      const delimLine = `\r\n--${boundary}--\r\n`.length;
      for (let k = -delimLine - 2; k <= 2; k++) {
        // Body chunks are counted from the body start: size the part so the closing delimiter
        // line starts k bytes from the first 64 KiB chunk edge.
        const contentLen = 65536 - firstLine + k;
        const content = Buffer.alloc(contentLen, 'z').toString('latin1');
        const msg = Buffer.from(`Content-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n--${boundary}\r\n${content}\r\n--${boundary}--\r\n`, 'latin1');
        for (const src of [bufferSource(msg), chunkedSource(msg, () => 65536)]) {
          const e = await scanEntity(src);
          expect(e.parts).toEqual([{ start: headerLen + firstLine, end: headerLen + firstLine + contentLen }]);
        }
      }
    });
  });
});
