/** Evidence records and stock-tool helpers shared by the evidence tests. */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { EvidenceData, EvidenceType } from '../../src/evidence/model';
import { ReasonCode, type EventName } from '../../src/evidence/reasons';

const run = promisify(execFile);

export const SCHEMA = resolve(__dirname, '../../spec/schemas/ts102640-2-v2/TS02640_v2.xsd');
export const TESTVECTORS = resolve(__dirname, '../../spec/testvectors/en319532-4-v1.2.1');

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a stock tool; a non-zero exit is a result, not an exception. */
export async function tool(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<ToolResult> {
  try {
    const r = await run(cmd, args, { cwd: opts.cwd, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/** A temp directory under os.tmpdir(), removed by `cleanup`. */
export function tempDir(prefix = 'kepd-evidence-'): { dir: string; file(name: string, data: string | Buffer): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    file(name, data) {
      const p = join(dir, name);
      writeFileSync(p, data);
      return p;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function xmllintValidate(file: string): Promise<ToolResult> {
  return tool('xmllint', ['--noout', '--nonet', '--schema', SCHEMA, file]);
}

const T0 = Date.UTC(2024, 0, 2, 10, 0, 5, 123);

/** A full evidence: every optional field the model has is set. */
export function fullEvidence(overrides: Partial<EvidenceData> = {}): EvidenceData {
  const original = Buffer.from('From: ali.veli@kep.example\r\nSubject: Ihtarname\r\n\r\nbody\r\n');
  return {
    id: 'ev-01HM7Z8Q4N5V6W7X8Y9Z0ABCDE',
    identifier: 'ev-01HM7Z8Q4N5V6W7X8Y9Z0ABCDE@kep.example',
    type: 'SubmissionAcceptanceRejection',
    event: 'Acceptance',
    policyIds: ['urn:oid:2.16.792.1.61.0.1.5070.1'],
    issuer: { name: 'Örnek KEPHS A.Ş. <test> & "co"', address: 'kep@kep.example' },
    senderAuthentication: { time: new Date(T0 - 5000), method: 'urn:kepd:auth:smtp-password+smime' },
    eventTime: new Date(T0),
    submissionTime: new Date(T0 - 1000),
    replyTo: 'cevap@kep.example',
    sender: { name: 'Ali Veli', address: 'ali.veli@kep.example', certificateDer: Buffer.from('3003020101', 'hex') },
    recipients: [
      { name: 'Ayşe Yılmaz', address: 'ayse.yilmaz@kep.example' },
      { address: 'ornek.as@other.kep.example' },
    ],
    message: {
      subject: 'İhtarname — ödeme <gecikmesi> & faiz\r\nsatır 2',
      uaMessageId: '<ua-123@client.example>',
      providerMessageId: '<01HM7Z8Q4N5V6W7X8Y9Z0AAAAA@kep.example>',
      digestSha256: createHash('sha256').update(original).digest(),
    },
    extension: { iletiTip: 'eTebligat', iletiId: 'TBL-2024-0001', operator: 'operator.bir' },
    ...overrides,
  };
}

export interface Combo {
  type: EvidenceType;
  event: EventName;
  reasons?: EvidenceData['reasons'];
}

/** Every evidence type × event kepd emits. */
export const COMBOS: Combo[] = [
  { type: 'SubmissionAcceptanceRejection', event: 'Acceptance' },
  { type: 'SubmissionAcceptanceRejection', event: 'Rejection', reasons: [{ code: ReasonCode.PolicyViolation, details: 'size over 25 MB' }] },
  { type: 'DeliveryNonDeliveryToRecipient', event: 'Delivery' },
  { type: 'DeliveryNonDeliveryToRecipient', event: 'NonDelivery', reasons: [{ code: ReasonCode.MailboxFull }] },
  { type: 'RetrievalNonRetrievalByRecipient', event: 'Retrieval' },
  {
    type: 'RetrievalNonRetrievalByRecipient',
    event: 'RetrievalExpiration',
    reasons: [{ code: ReasonCode.RetentionPeriodExpired, details: 'not read within 30 days' }],
  },
  { type: 'RelayREMMDAcceptanceRejection', event: 'Acceptance' },
  { type: 'RelayREMMDAcceptanceRejection', event: 'Rejection', reasons: [{ code: ReasonCode.UnknownRecipient }] },
  {
    type: 'RelayREMMDFailure',
    event: 'DeliveryExpiration',
    reasons: [{ code: ReasonCode.R_REMMD_Unreachable }, { code: ReasonCode.Other, details: 'no answer for 24 h' }],
  },
];

/** The evidence for a combination, shaped as kepd issues it (per-recipient fields where they belong). */
export function comboEvidence(c: Combo, index = 0): EvidenceData {
  const perRecipient = c.type === 'DeliveryNonDeliveryToRecipient' || c.type === 'RetrievalNonRetrievalByRecipient';
  const base = fullEvidence({
    id: `ev-combo${index}-${c.type}`,
    identifier: `ev-combo${index}@kep.example`,
    type: c.type,
    event: c.event,
    reasons: c.reasons,
  });
  if (perRecipient) base.refersToRecipient = 1;
  if (c.type === 'RetrievalNonRetrievalByRecipient') {
    base.recipientAuthentication = { time: new Date(T0 - 2000), method: 'urn:kepd:auth:imap-password' };
    base.recipientsDelegates = [{ delegate: { name: 'Yetkili Bir', address: 'yetkili@kep.example' }, recipients: [1, 2] }];
  }
  if (c.type === 'RelayREMMDAcceptanceRejection' || c.type === 'RelayREMMDFailure') {
    delete base.senderAuthentication;
    delete base.extension;
  }
  return base;
}

/** The smallest record the renderer accepts. */
export function minimalEvidence(): EvidenceData {
  return {
    id: 'ev-min',
    identifier: 'ev-min@kep.example',
    type: 'SubmissionAcceptanceRejection',
    event: 'Acceptance',
    issuer: { address: 'kep@kep.example' },
    eventTime: new Date(T0),
    sender: { address: 'ali.veli@kep.example' },
    recipients: [{ address: 'ayse@kep.example' }],
  };
}
