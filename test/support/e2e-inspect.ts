/** Looks inside a test provider (through its store) and checks evidence with stock tools. */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { EvidenceData } from '../../src/evidence/model';
import { parseEvidenceXml } from '../../src/evidence';
import type { EvidenceRecord, MessageRecord } from '../../src/store/types';
import { canonicalSignatureValueOf } from './e2e-c14n';
import type { TestProvider } from './e2e';
import { tempDir, tool, xmllintValidate } from './evidence-fixtures';

export interface StoredMessage {
  record: MessageRecord;
  bytes: Buffer;
}

export async function mailbox(p: TestProvider, address: string, path: string): Promise<StoredMessage[]> {
  const store = p.daemon.runtime.store;
  const account = await store.accounts.getByAddress(address);
  if (!account) throw new Error(`no account ${address}`);
  const box = await store.mailboxes.get(account.id, path);
  if (!box) throw new Error(`no mailbox ${path} for ${address}`);
  const out: StoredMessage[] = [];
  for (const record of await store.messages.list(box.id)) out.push({ record, bytes: await store.blobs.read(record.blobHash) });
  return out;
}

export interface ArchivedEvidence {
  record: EvidenceRecord;
  xml: Buffer;
  data: EvidenceData;
}

export async function evidenceFor(p: TestProvider, filter: { messageId?: string; address?: string }): Promise<ArchivedEvidence[]> {
  const store = p.daemon.runtime.store;
  const accountId = filter.address ? (await store.accounts.getByAddress(filter.address))?.id : undefined;
  const rows = await store.evidence.list({ messageId: filter.messageId, accountId, limit: 1000 });
  const out: ArchivedEvidence[] = [];
  for (const record of rows) {
    const found = await store.evidence.get(record.id);
    if (!found) throw new Error(`evidence ${record.id} listed but not readable`);
    out.push({ record, xml: found.xml, data: parseEvidenceXml(found.xml) });
  }
  return out;
}

/** The provider message id from "250 2.0.0 Ok: queued as K...". */
export function queuedId(response: string): string {
  const m = /queued as (K[0-9A-Z]{26})/.exec(response);
  if (!m) throw new Error(`no queue id in "${response}"`);
  return m[1] as string;
}

export interface ToolChecks {
  schema: string;
  xmlsec: string;
  ts: string;
}

/** xmllint (schema), xmlsec1 (signature, 2/2 references), openssl ts -verify (XAdES-T token). */
export async function checkWithStockTools(p: TestProvider, xml: Buffer): Promise<ToolChecks> {
  const t = tempDir('kepd-e2e-ev-');
  try {
    const file = t.file('ev.xml', xml);
    const lint = await xmllintValidate(file);
    const sec = await tool('xmlsec1', ['--verify', '--trusted-pem', p.caPath, file]);
    const text = xml.toString('utf8');
    const token = /<xades:EncapsulatedTimeStamp[^>]*>([^<]+)</.exec(text)?.[1];
    let ts = 'no EncapsulatedTimeStamp';
    if (token) {
      const tok = t.file('tok.der', Buffer.from(token, 'base64'));
      const imprint = createHash('sha256').update(canonicalSignatureValueOf(text), 'utf8').digest('hex');
      const r = await tool('openssl', ['ts', '-verify', '-token_in', '-in', tok, '-digest', imprint, '-CAfile', p.caPath, '-untrusted', join(p.dir, 'pki', 'tsa.pem')]);
      ts = (r.stdout + r.stderr).trim();
    }
    return { schema: (lint.stdout + lint.stderr).trim(), xmlsec: (sec.stdout + sec.stderr).trim(), ts };
  } finally {
    t.cleanup();
  }
}

/** openssl smime -verify of a REM message against the provider CA. */
export async function opensslSmimeVerify(p: TestProvider, eml: Buffer): Promise<{ ok: boolean; out: string; content: Buffer }> {
  const t = tempDir('kepd-e2e-smime-');
  try {
    const file = t.file('m.eml', eml);
    const outFile = join(t.dir, 'content.mime');
    const r = await tool('openssl', ['smime', '-verify', '-in', file, '-CAfile', p.caPath, '-out', outFile]);
    const { readFileSync, existsSync } = await import('node:fs');
    return { ok: r.code === 0, out: (r.stdout + r.stderr).trim(), content: existsSync(outFile) ? readFileSync(outFile) : Buffer.alloc(0) };
  } finally {
    t.cleanup();
  }
}

export function header(eml: Buffer, name: string): string | undefined {
  const head = eml.subarray(0, eml.indexOf('\r\n\r\n')).toString('utf8').replace(/\r\n[ \t]+/g, ' ');
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(head);
  return m?.[1]?.trim();
}
