/**
 * The test messages, made once before the run: an S/MIME-signed (detached, `openssl cms -sign`)
 * text message from the sender to the row's recipient, CRLF throughout, of about the requested
 * total size. Every send gets its own copy with a unique Message-ID in the (unsigned) outer
 * headers, so no server can deduplicate identical bytes and every message is a new one;
 * the copies are all exactly the same size.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toWire } from './smtp-client';
import { BenchError, runOk } from './util';

export interface Signer {
  certPath: string;
  keyPath: string;
}

export interface MessageTemplate {
  label: string;
  /** Requested size, bytes. */
  target: number;
  /** The message (CRLF, not dot-stuffed). */
  bytes: Buffer;
  /** The same in SMTP wire form (dot-stuffed, ending in CRLF.CRLF). */
  wire: Buffer;
  /** Offset and width of the decimal counter inside the Message-ID. */
  idOffset: number;
  idWidth: number;
  from: string;
  to: string;
}

const ID_WIDTH = 12;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function crlf(b: Buffer): Buffer {
  return Buffer.from(b.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}

/** 7-bit text of `bytes` bytes (CRLF lines of ≤ 76 characters), never starting a line with "." */
function bodyText(bytes: number): Buffer {
  const lineLen = 76;
  const pool: Buffer[] = [];
  for (let i = 0; i < 1024; i++) {
    const r = randomBytes(lineLen);
    let s = '';
    for (let j = 0; j < lineLen; j++) s += ALPHABET[r[j] & 63];
    pool.push(Buffer.from(s + '\r\n', 'latin1'));
  }
  const first = Buffer.from('Sayin ilgili, bu ileti kepd basarim olcumu icindir.\r\n', 'latin1');
  const out = Buffer.alloc(Math.max(bytes, first.length + 2));
  let pos = first.copy(out, 0);
  let k = 0;
  while (pos + lineLen + 2 <= out.length - 3) {
    pos += pool[k++ % pool.length].copy(out, pos);
  }
  const rest = out.length - pos;
  if (rest >= 3) {
    out.fill(0x78, pos, out.length - 2);
    out.write('\r\n', out.length - 2, 'latin1');
  } else {
    return out.subarray(0, pos);
  }
  return out;
}

function headers(from: string, to: string, label: string): string {
  return [
    `From: <${from}>`,
    `To: <${to}>`,
    `Subject: kepd bench ${label}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${'0'.repeat(ID_WIDTH)}.bench@loadgen.bench.kep>`,
    '',
  ].join('\r\n');
}

async function sign(workDir: string, signer: Signer, inner: Buffer, name: string): Promise<Buffer> {
  const inFile = join(workDir, `${name}.in`);
  const outFile = join(workDir, `${name}.out`);
  writeFileSync(inFile, inner);
  await runOk('openssl', ['cms', '-sign', '-in', inFile, '-out', outFile, '-signer', signer.certPath, '-inkey', signer.keyPath, '-md', 'sha256'], {
    timeoutMs: 300_000,
  });
  return crlf(readFileSync(outFile));
}

/** Makes the signed message of about `target` bytes (never below the signature's own size). */
export async function makeMessage(workDir: string, signer: Signer, from: string, to: string, target: number, label: string): Promise<MessageTemplate> {
  const innerHead = Buffer.from('Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n', 'latin1');
  const head = Buffer.from(headers(from, to, label), 'latin1');
  // Measure the fixed overhead with a tiny body, then size the body to hit the target.
  const probeBody = bodyText(200);
  const probe = await sign(workDir, signer, Buffer.concat([innerHead, probeBody]), `${label}-probe`);
  const overhead = head.length + probe.length - probeBody.length;
  let bodySize = Math.max(200, target - overhead);
  let signed = probe;
  // The signature's length varies by a few bytes: adjust the body until the total is exact.
  for (let attempt = 0; bodySize > 200 && attempt < 4; attempt++) {
    signed = await sign(workDir, signer, Buffer.concat([innerHead, bodyText(bodySize)]), label);
    const off = head.length + signed.length - target;
    if (off === 0) break;
    bodySize -= off;
  }
  const bytes = Buffer.concat([head, signed]);
  const marker = Buffer.from(`<${'0'.repeat(ID_WIDTH)}.bench@`, 'latin1');
  const at = bytes.indexOf(marker);
  if (at < 0) throw new BenchError('message template lost its Message-ID');
  return { label, target, bytes, wire: toWire(bytes), idOffset: at + 1, idWidth: ID_WIDTH, from, to };
}

/** A copy of the template with Message-ID number `n` (same size as the template). */
export function instance(t: MessageTemplate, n: number, wire = false): Buffer {
  const b = Buffer.from(wire ? t.wire : t.bytes);
  b.write(String(n).padStart(t.idWidth, '0').slice(-t.idWidth), t.idOffset, 'latin1');
  return b;
}

/** A self-signed S/MIME signer for runs without kepd (the baselines accept any signature). */
export async function selfSignedSigner(dir: string, address: string): Promise<Signer> {
  const certPath = join(dir, 'signer.pem');
  const keyPath = join(dir, 'signer.key.pem');
  await runOk('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', `/CN=${address}`, '-addext', `subjectAltName=email:${address}`], { timeoutMs: 30_000 });
  return { certPath, keyPath };
}
