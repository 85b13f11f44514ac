/**
 * A TimeStamper backed by an external RFC 3161 TSA over HTTP(S). Every reply is verified in
 * full before use; any problem is a TimeStampUnavailable (no evidence without a valid token).
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { TimeStampUnavailable } from '../errors';
import type { TimeStamper } from '../pki/types';
import { encodeTimeStampRequest, parseTimeStampResponse, PkiStatus } from './protocol';
import { normaliseInteger } from './tst-info';
import { verifyTimeStampToken } from './verify';

export interface HttpTimeStamperOptions {
  url: string;
  /** Deadline for the whole exchange (connect, send, receive). */
  timeoutMs: number;
  /** DER of the CAs trusted for the TSA certificate. */
  trustAnchors: Buffer[];
  intermediates?: Buffer[];
  /** Policy OID to request (reqPolicy); default none. */
  policy?: string;
}

const MAX_REPLY_BYTES = 1024 * 1024;

function post(url: URL, body: Buffer, timeoutMs: number): Promise<Buffer> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/timestamp-query', 'Content-Length': body.length, Accept: 'application/timestamp-reply' },
      agent: false,
    });
    const timer = setTimeout(() => req.destroy(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs);
    const done = (err: Error | undefined, data?: Buffer): void => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(data as Buffer);
    };
    req.on('error', (e) => done(e));
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        req.destroy();
        done(new Error(`HTTP ${res.statusCode ?? '?'} from the TSA`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_REPLY_BYTES) req.destroy(new Error('reply too large'));
        else chunks.push(chunk);
      });
      res.on('end', () => done(undefined, Buffer.concat(chunks)));
      res.on('error', (e) => done(e));
    });
    req.end(body);
  });
}

export class HttpTimeStamper implements TimeStamper {
  private readonly url: URL;

  constructor(private readonly opts: HttpTimeStamperOptions) {
    this.url = new URL(opts.url);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') throw new RangeError(`unsupported TSA URL ${opts.url}`);
  }

  async stamp(sha256Digest: Buffer): Promise<Buffer> {
    if (sha256Digest.length !== 32) throw new TimeStampUnavailable('a SHA-256 digest (32 bytes) is required');
    const nonce = randomBytes(8);
    nonce[0] &= 0x7f;
    const request = encodeTimeStampRequest({ digest: 'SHA-256', hashedMessage: sha256Digest, nonce, certReq: true, reqPolicy: this.opts.policy });
    const where = `${this.url.protocol}//${this.url.host}`;
    let reply: Buffer;
    try {
      reply = await post(this.url, request, this.opts.timeoutMs);
    } catch (e) {
      throw new TimeStampUnavailable(`TSA ${where} unavailable: ${(e as Error).message}`, e);
    }
    try {
      const res = parseTimeStampResponse(reply);
      if (res.status !== PkiStatus.granted && res.status !== PkiStatus.grantedWithMods) {
        const detail = [res.statusText, res.failInfo.join(',')].filter(Boolean).join(' ');
        throw new Error(`request refused (status ${res.status}${detail ? `: ${detail}` : ''})`);
      }
      if (!res.tokenDer) throw new Error('granted reply without a token');
      const verified = await verifyTimeStampToken(res.tokenDer, {
        expectedImprint: sha256Digest,
        trustAnchors: this.opts.trustAnchors,
        intermediates: this.opts.intermediates,
      });
      if (verified.imprintAlgorithm !== 'SHA-256') throw new Error(`token uses ${verified.imprintAlgorithm}, SHA-256 was requested`);
      if (!verified.nonce || !normaliseInteger(verified.nonce).equals(normaliseInteger(nonce))) throw new Error('the token nonce does not match the request');
      if (this.opts.policy && verified.policy !== this.opts.policy) throw new Error(`token policy ${verified.policy} was not requested`);
      return res.tokenDer;
    } catch (e) {
      throw new TimeStampUnavailable(`TSA ${where} gave no valid token: ${(e as Error).message}`, e);
    }
  }
}
