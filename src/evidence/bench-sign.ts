/**
 * Throughput of evidence signing (render + XAdES + time-stamp) for `bench/evidence-sign.js`
 * and ad-hoc measurements: signs `count` evidences one after another and returns evidences/s.
 */
import type { SigningIdentity, TimeStamper } from '../pki/types';
import type { EvidenceData } from './model';
import { newEvidenceId } from './ids';
import { EvidenceSigner } from './xades-sign';

export interface SignBenchOptions {
  identity: SigningIdentity;
  timeStamper: TimeStamper;
  count: number;
  /** The record to sign (ids are replaced per evidence); a typical submission evidence by default. */
  sample?: EvidenceData;
}

export interface SignBenchResult {
  count: number;
  seconds: number;
  perSecond: number;
  /** Size of the last signed evidence, bytes. */
  lastSize: number;
}

export async function benchEvidenceSigning(opts: SignBenchOptions): Promise<SignBenchResult> {
  const signer = new EvidenceSigner({ identity: opts.identity, timeStamper: opts.timeStamper });
  const sample = opts.sample ?? sampleEvidence();
  let lastSize = 0;
  // One unmeasured round warms up caches and JIT.
  await signer.sign({ ...sample, ...newEvidenceId('bench.kep.example') });
  const start = process.hrtime.bigint();
  for (let i = 0; i < opts.count; i++) {
    const xml = await signer.sign({ ...sample, ...newEvidenceId('bench.kep.example') });
    lastSize = xml.length;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { count: opts.count, seconds, perSecond: opts.count / seconds, lastSize };
}

function sampleEvidence(): EvidenceData {
  const now = new Date();
  return {
    id: 'ev-bench',
    identifier: 'ev-bench@bench.kep.example',
    type: 'SubmissionAcceptanceRejection',
    event: 'Acceptance',
    policyIds: ['urn:oid:2.16.792.1.61.0.1.5070.1'],
    issuer: { name: 'Bench KEPHS A.Ş.', address: 'kep@bench.kep.example' },
    senderAuthentication: { time: now, method: 'urn:kepd:auth:smtp-password+smime' },
    eventTime: now,
    submissionTime: now,
    sender: { name: 'Ali Veli', address: 'ali.veli@bench.kep.example' },
    recipients: [{ name: 'Ayşe Yılmaz', address: 'ayse.yilmaz@bench.kep.example' }, { address: 'ornek.as@other.kep.example' }],
    message: {
      subject: 'İhtarname',
      uaMessageId: '<ua-1@client.example>',
      providerMessageId: '<01HM7Z8Q4N5V6W7X8Y9Z0AAAAA@bench.kep.example>',
      digestSha256: Buffer.alloc(32, 7),
    },
    extension: { iletiTip: 'standart' },
  };
}
