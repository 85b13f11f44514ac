/**
 * Shared pieces of the fuzz tests: how many runs (bounded in `npm test`, larger with
 * KEPD_FUZZ_RUNS for `npm run test:soak`), byte mutations of valid inputs, MIME trees, and the
 * rule that every error a parser throws is a typed one (a KepError subclass).
 */
import fc from 'fast-check';
import { KepError } from '../../src/errors';

/** `base` runs normally; KEPD_FUZZ_RUNS=N gives N runs (soak). */
export function fuzzRuns(base: number): number {
  const n = Number(process.env.KEPD_FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : base;
}

/** True when running the long (soak) version. */
export function soaking(): boolean {
  return Number.isInteger(Number(process.env.KEPD_FUZZ_RUNS)) && Number(process.env.KEPD_FUZZ_RUNS) > 0;
}

/** fast-check parameters: the run count, and a seed from KEPD_FUZZ_SEED to replay a failure. */
export function fuzzParams(base: number): fc.Parameters<unknown> {
  const seed = Number(process.env.KEPD_FUZZ_SEED);
  return { numRuns: fuzzRuns(base), ...(Number.isInteger(seed) ? { seed } : {}) };
}

/** Fails with the error itself when it is not one of ours (untyped errors are bugs to fix where they arise). */
export function assertTyped(err: unknown): asserts err is KepError {
  if (!(err instanceof KepError)) {
    const e = err as Error;
    throw new Error(`untyped error ${e?.name ?? typeof err}: ${e?.message ?? String(err)}\n${e?.stack ?? ''}`);
  }
}

/** Runs `fn`; a typed error is a fine outcome (returned), anything else fails the property. */
export async function typedOutcome<T>(fn: () => Promise<T> | T): Promise<T | KepError> {
  try {
    return await fn();
  } catch (err) {
    assertTyped(err);
    return err;
  }
}

type Edit =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'duplicate'; at: number; length: number; to: number }
  | { kind: 'truncate'; at: number };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.constantFrom(0, 0x0a, 0x0d, 0x20, 0x2d, 0x3a, 0x3b, 0x22, 0x3d, 0x80, 0xff, 0x30) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 24 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 256 }), to: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function apply(buf: Buffer, e: Edit): Buffer {
  if (buf.length === 0) return e.kind === 'insert' ? Buffer.from(e.bytes) : buf;
  const at = e.at % buf.length;
  switch (e.kind) {
    case 'flip': {
      const out = Buffer.from(buf);
      out[at] = (out[at] as number) ^ (1 << e.bit);
      return out;
    }
    case 'set': {
      const out = Buffer.from(buf);
      out[at] = e.byte;
      return out;
    }
    case 'delete':
      return Buffer.concat([buf.subarray(0, at), buf.subarray(at + e.length)]);
    case 'insert':
      return Buffer.concat([buf.subarray(0, at), Buffer.from(e.bytes), buf.subarray(at)]);
    case 'duplicate': {
      const piece = buf.subarray(at, at + e.length);
      const to = e.to % buf.length;
      return Buffer.concat([buf.subarray(0, to), piece, buf.subarray(to)]);
    }
    case 'truncate':
      return buf.subarray(0, at);
  }
}

/** `base` with 1–`maxEdits` random edits (bit flips, special bytes, deletions, insertions, duplications, truncation). */
export function mutated(base: Buffer, maxEdits = 6): fc.Arbitrary<Buffer> {
  return fc.array(edit, { minLength: 1, maxLength: maxEdits }).map((edits) => edits.reduce(apply, base));
}

/** Mutations of one of several valid inputs, or plain random bytes. */
export function hostileBytes(bases: Buffer[], maxLength = 4096): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...bases).chain((b) => mutated(b)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength }).map((a) => Buffer.from(a)) },
  );
}

// ---------------------------------------------------------------- MIME trees

export type MimeTree =
  | { kind: 'leaf'; type: string; body: string; cte?: string }
  | { kind: 'multipart'; subtype: string; boundary: string; children: MimeTree[]; preamble: string; epilogue: string }
  | { kind: 'message'; inner: MimeTree };

const token = fc.stringMatching(/^[A-Za-z0-9'()+_,./:=?-]{1,40}$/);
const text = fc.stringMatching(/^[ -~\t]{0,120}$/);
const bodyLines = fc.array(text, { maxLength: 5 }).map((lines) => lines.join('\r\n'));

export const mimeTree: fc.Arbitrary<MimeTree> = fc.letrec<{ tree: MimeTree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({
      kind: fc.constant('leaf' as const),
      type: fc.constantFrom('text/plain; charset=utf-8', 'application/octet-stream', 'text/html', 'application/pkcs7-signature', 'image/png; name="a.png"'),
      body: bodyLines,
      cte: fc.option(fc.constantFrom('7bit', 'base64', 'quoted-printable', 'binary'), { nil: undefined }),
    }),
    fc.record({
      kind: fc.constant('multipart' as const),
      subtype: fc.constantFrom('mixed', 'signed', 'alternative', 'digest', 'related'),
      boundary: token,
      children: fc.array(tie('tree'), { maxLength: 4 }),
      preamble: text,
      epilogue: text,
    }),
    fc.record({ kind: fc.constant('message' as const), inner: tie('tree') }),
  ),
})).tree;

/** Renders a tree as CRLF MIME (top level with From/Subject when `top`). */
export function renderMime(tree: MimeTree, top = true): string {
  const head = top ? 'From: ali.veli@kep.test\r\nSubject: fuzz\r\nMIME-Version: 1.0\r\n' : '';
  switch (tree.kind) {
    case 'leaf':
      return `${head}Content-Type: ${tree.type}\r\n${tree.cte ? `Content-Transfer-Encoding: ${tree.cte}\r\n` : ''}\r\n${tree.body}`;
    case 'message':
      return `${head}Content-Type: message/rfc822\r\n\r\n${renderMime(tree.inner, true)}`;
    case 'multipart': {
      const parts = tree.children.map((c) => `--${tree.boundary}\r\n${renderMime(c, false)}\r\n`).join('');
      return `${head}Content-Type: multipart/${tree.subtype}; boundary="${tree.boundary}"\r\n\r\n${tree.preamble}\r\n${parts}--${tree.boundary}--\r\n${tree.epilogue}`;
    }
  }
}

/** A message nested `depth` levels deep, alternating multipart and message/rfc822. */
export function deeplyNested(depth: number): Buffer {
  let inner = 'Content-Type: text/plain\r\n\r\nthe innermost part\r\n';
  for (let level = depth - 1; level >= 1; level--) {
    inner =
      level % 2 === 0
        ? `Content-Type: message/rfc822\r\n\r\n${inner}`
        : `Content-Type: multipart/mixed; boundary="b${level}"\r\n\r\n--b${level}\r\n${inner}\r\n--b${level}--\r\n`;
  }
  return Buffer.from(`From: ali.veli@kep.test\r\nSubject: deep\r\n${inner}`);
}
