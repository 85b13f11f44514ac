import { createHash, randomBytes } from 'node:crypto';
import { createServer, get as httpGet, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BuiltInTsa } from '../../src/timestamp/built-in-tsa';
import { TsaHttpServer } from '../../src/timestamp/http-server';
import { HttpTimeStamper } from '../../src/timestamp/http-client';
import { createTimeStamper } from '../../src/timestamp/create';
import { verifyTimeStampToken } from '../../src/timestamp/verify';
import { TimeStampUnavailable } from '../../src/errors';
import { devPkiFixture, openssl, type DevPkiFixture } from '../support/pki';
import { httpPost } from '../support/timestamp';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest();

/** A plain HTTP server with a custom handler, on a free loopback port. */
async function rawServer(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/tsa`, server };
}

function stop(server: Server): Promise<void> {
  return new Promise((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
}

describe('RFC 3161 over HTTP', () => {
  let fx: DevPkiFixture;
  let server: TsaHttpServer;
  let url: string;
  beforeAll(async () => {
    fx = await devPkiFixture();
    server = new TsaHttpServer(new BuiltInTsa(fx.tsa));
    const { port } = await server.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${port}/`;
  });
  afterAll(async () => {
    await server.close();
    fx.cleanup();
  });

  test('TsaHttpServer answers an openssl query; openssl ts -verify accepts the reply', async () => {
    writeFileSync(join(fx.dir, 'h.txt'), 'over http');
    expect((await openssl(['ts', '-query', '-data', join(fx.dir, 'h.txt'), '-sha256', '-cert', '-out', join(fx.dir, 'h.tsq')])).code).toBe(0);
    const res = await httpPost(url, readFileSync(join(fx.dir, 'h.tsq')));
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/timestamp-reply');
    writeFileSync(join(fx.dir, 'h.tsr'), res.body);
    const r = await openssl(['ts', '-verify', '-in', join(fx.dir, 'h.tsr'), '-queryfile', join(fx.dir, 'h.tsq'), '-CAfile', fx.pki.paths.ca, '-untrusted', fx.pki.paths.tsa]);
    expect(r.stdout + r.stderr).toContain('Verification: OK');
  });

  test('TsaHttpServer refuses other methods and content types', async () => {
    expect((await httpPost(url, Buffer.from('x'), 'text/plain')).status).toBe(415);
    const get = await new Promise<number>((resolve, reject) => {
      httpGet(url, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(get).toBe(405);
  });

  test('HttpTimeStamper gets a token that openssl and our verifier accept', async () => {
    const stamper = new HttpTimeStamper({ url, timeoutMs: 5000, trustAnchors: [fx.caDer] });
    const digest = sha256(randomBytes(32));
    const token = await stamper.stamp(digest);
    writeFileSync(join(fx.dir, 'c.tst'), token);
    const r = await openssl(['ts', '-verify', '-token_in', '-in', join(fx.dir, 'c.tst'), '-digest', digest.toString('hex'), '-CAfile', fx.pki.paths.ca, '-untrusted', fx.pki.paths.tsa]);
    expect(r.stdout + r.stderr).toContain('Verification: OK');
    const v = await verifyTimeStampToken(token, { expectedImprint: digest, trustAnchors: [fx.caDer] });
    expect(v.nonce).toBeDefined();
  });

  test('createTimeStamper: empty url = built-in, otherwise HTTP', async () => {
    const builtIn = createTimeStamper({ url: '', timeoutMs: 1000, builtIn: fx.tsa, trustAnchors: [fx.caDer] });
    expect(builtIn).toBeInstanceOf(BuiltInTsa);
    const http = createTimeStamper({ url, timeoutMs: 5000, builtIn: fx.tsa, trustAnchors: [fx.caDer] });
    expect(http).toBeInstanceOf(HttpTimeStamper);
    const digest = sha256('factory');
    for (const s of [builtIn, http]) {
      await expect(verifyTimeStampToken(await s.stamp(digest), { expectedImprint: digest, trustAnchors: [fx.caDer] })).resolves.toBeDefined();
    }
  });

  describe('every failure is TimeStampUnavailable', () => {
    const digest = sha256('failure');

    test('connection refused', async () => {
      const { server: s, url: closedUrl } = await rawServer(() => undefined);
      await stop(s); // the port is now closed
      await expect(new HttpTimeStamper({ url: closedUrl, timeoutMs: 2000, trustAnchors: [fx.caDer] }).stamp(digest)).rejects.toBeInstanceOf(TimeStampUnavailable);
    });

    test('a server that never answers (short timeout)', async () => {
      const { server: s, url: hangUrl } = await rawServer(() => undefined);
      try {
        const err = await new HttpTimeStamper({ url: hangUrl, timeoutMs: 200, trustAnchors: [fx.caDer] }).stamp(digest).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(TimeStampUnavailable);
        expect((err as Error).message).toMatch(/no reply within 200 ms/);
      } finally {
        await stop(s);
      }
    });

    test.each([
      ['garbage bytes', (res: import('node:http').ServerResponse) => res.writeHead(200, { 'Content-Type': 'application/timestamp-reply' }).end(randomBytes(200))],
      ['HTTP 500', (res: import('node:http').ServerResponse) => res.writeHead(500).end('oops')],
      ['an empty body', (res: import('node:http').ServerResponse) => res.writeHead(200).end()],
    ])('%s', async (_name, reply) => {
      const { server: s, url: badUrl } = await rawServer((req, res) => {
        req.resume();
        req.on('end', () => reply(res));
      });
      try {
        await expect(new HttpTimeStamper({ url: badUrl, timeoutMs: 2000, trustAnchors: [fx.caDer] }).stamp(digest)).rejects.toBeInstanceOf(TimeStampUnavailable);
      } finally {
        await stop(s);
      }
    });

    test('a rejection reply', async () => {
      const tsa = new BuiltInTsa(fx.tsa);
      const { server: s, url: rejUrl } = await rawServer((req, res) => {
        req.resume();
        req.on('end', async () => res.writeHead(200).end(await tsa.respond(Buffer.from('not a request'))));
      });
      try {
        const err = await new HttpTimeStamper({ url: rejUrl, timeoutMs: 2000, trustAnchors: [fx.caDer] }).stamp(digest).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(TimeStampUnavailable);
        expect((err as Error).message).toMatch(/status 2/);
      } finally {
        await stop(s);
      }
    });

    test('a valid token for other data, and a replayed token (nonce mismatch)', async () => {
      const tsa = new BuiltInTsa(fx.tsa);
      const { parseTimeStampRequest } = await import('../../src/timestamp/protocol');
      let mode: 'substitute' | 'replay' = 'substitute';
      let first: Buffer | undefined;
      const { server: s, url: evilUrl } = await rawServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', async () => {
          const asked = parseTimeStampRequest(Buffer.concat(chunks));
          if (mode === 'substitute') {
            // Same request and nonce, other imprint.
            const forged = Buffer.concat(chunks);
            const imprintAt = forged.indexOf(asked.hashedMessage);
            sha256('something else').copy(forged, imprintAt);
            res.writeHead(200).end(await tsa.respond(forged));
          } else {
            first ??= await tsa.respond(Buffer.concat(chunks));
            res.writeHead(200).end(first);
          }
        });
      });
      try {
        const stamper = new HttpTimeStamper({ url: evilUrl, timeoutMs: 2000, trustAnchors: [fx.caDer] });
        const e1 = await stamper.stamp(digest).catch((e: unknown) => e);
        expect(e1).toBeInstanceOf(TimeStampUnavailable);
        expect((e1 as Error).message).toMatch(/imprint/);
        mode = 'replay';
        await expect(stamper.stamp(digest)).resolves.toBeInstanceOf(Buffer); // first answer is fresh
        const e2 = await stamper.stamp(digest).catch((e: unknown) => e);
        expect(e2).toBeInstanceOf(TimeStampUnavailable);
        expect((e2 as Error).message).toMatch(/nonce/);
      } finally {
        await stop(s);
      }
    });

    test('a TSA under an untrusted CA', async () => {
      const other = await devPkiFixture();
      const otherServer = new TsaHttpServer(new BuiltInTsa(other.tsa));
      const { port } = await otherServer.listen(0, '127.0.0.1');
      try {
        const err = await new HttpTimeStamper({ url: `http://127.0.0.1:${port}/`, timeoutMs: 2000, trustAnchors: [fx.caDer] }).stamp(digest).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(TimeStampUnavailable);
        expect((err as Error).message).toMatch(/trusted CA/);
      } finally {
        await otherServer.close();
        other.cleanup();
      }
    });
  });
});
