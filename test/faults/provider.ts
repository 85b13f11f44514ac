/**
 * A data directory for the fault tests: `kepd init`, accounts created through the store (as
 * the CLI does), a dev-CA S/MIME certificate per user, and originals built from one
 * `openssl cms -sign` per sender: the signature covers the inner entity only, so each message
 * gets its own top-level headers (From, To, Subject, Message-ID) around the same signed body.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccount } from '../../src/accounts/service';
import { initDataDir } from '../../src/cli/init';
import { loadConfig } from '../../src/config';
import { issueUserCertificate } from '../../src/pki/user-cert';
import { openEmbeddedStore } from '../../src/store';
import { DOMAIN, removeDir } from '../support/e2e';
import { crlf, innerEntity, topHeaders, unsigned } from '../support/smime';

export interface FaultUser {
  address: string;
  password: string;
  certPath: string;
  keyPath: string;
  /** `openssl cms -sign` output (multipart/signed), CRLF. */
  signedBody: Buffer;
}

export interface FaultProvider {
  /** Parent of the data dir: logs and scratch files live here too. */
  root: string;
  dataDir: string;
  caPem: string;
  users: FaultUser[];
  cleanup(): void;
}

/** `dataDir` may lie elsewhere (e.g. on a small filesystem); logs and keys stay under `root`. */
export async function createFaultProvider(localParts: string[], opts: { dataDir?: string; quotaBytes?: number } = {}): Promise<FaultProvider> {
  const root = mkdtempSync(join(tmpdir(), 'kepd-faults-'));
  const dataDir = opts.dataDir ?? join(root, 'data');
  await initDataDir(dataDir, DOMAIN, 'Fault Test KEPHS');
  const config = loadConfig(dataDir);
  const caPem = readFileSync(join(dataDir, 'pki', 'ca.pem'), 'utf8');
  const ca = { certPem: caPem, keyPem: readFileSync(join(dataDir, 'pki', 'ca.key.pem'), 'utf8') };
  const users: FaultUser[] = [];
  const store = await openEmbeddedStore({ dataDir });
  try {
    for (const local of localParts) {
      const address = `${local}@${DOMAIN}`;
      const password = `pw-${local}-secret`;
      await createAccount(store, DOMAIN, opts.quotaBytes ?? config.quota.default_bytes, { address, password });
      const cert = await issueUserCertificate(ca, { address, keyType: 'ec' });
      const certPath = join(root, `${local}.cert.pem`);
      const keyPath = join(root, `${local}.key.pem`);
      writeFileSync(certPath, cert.certPem);
      writeFileSync(keyPath, cert.keyPem, { mode: 0o600 });
      users.push({ address, password, certPath, keyPath, signedBody: signOnce(address, certPath, keyPath, root) });
    }
  } finally {
    await store.close();
  }
  return { root, dataDir, caPem, users, cleanup: () => removeDir(root) };
}

function signOnce(address: string, certPath: string, keyPath: string, root: string): Buffer {
  const inFile = join(root, `${address}.inner.eml`);
  writeFileSync(inFile, innerEntity({ from: address, to: [], subject: '', body: 'Sayın ilgili,\r\nbu bir KEP iletisidir (hata testi).\r\n' }));
  return crlf(execFileSync('openssl', ['cms', '-sign', '-in', inFile, '-signer', certPath, '-inkey', keyPath, '-md', 'sha256']));
}

/** A signed original with its own headers; `messageId` is how the ledger finds it again. */
export function signedOriginal(from: FaultUser, to: string[], subject: string, messageId: string): Buffer {
  return Buffer.concat([Buffer.from(topHeaders({ from: from.address, to, subject, messageId })), from.signedBody]);
}

/** An unsigned original (refused with 550 5.7.1 and a rejection evidence). */
export function unsignedOriginal(from: FaultUser, to: string[], subject: string, messageId: string): Buffer {
  return unsigned({ from: from.address, to, subject, messageId });
}

/** A signed original of about `bytes`: padding in the multipart preamble, outside the signed part. */
export function largeSignedOriginal(from: FaultUser, to: string[], subject: string, messageId: string, bytes: number): Buffer {
  const head = Buffer.from(topHeaders({ from: from.address, to, subject, messageId }));
  const split = from.signedBody.indexOf('\r\n\r\n') + 4;
  const line = 'Bu satir yalnizca boyut icindir. '.repeat(2) + '\r\n';
  const padding = Buffer.from(line.repeat(Math.max(0, Math.ceil((bytes - head.length - from.signedBody.length) / line.length))));
  return Buffer.concat([head, from.signedBody.subarray(0, split), padding, from.signedBody.subarray(split)]);
}
