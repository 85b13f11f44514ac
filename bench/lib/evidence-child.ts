/**
 * Evidence micro-benchmark, run as its own node process (one core, sequential) so nothing else
 * in the benchmark shares its event loop. Prints one JSON line:
 *   { evidencePerSec: [...], floorPairsPerSec: [...], keyTypes, source, size }
 * - evidences/s: XAdES-T evidences signed with the provider key and time-stamped by the
 *   built-in TSA, through `dist/evidence/bench-sign.js` when present, else through the public
 *   EvidenceSigner;
 * - floor: pairs of raw node:crypto signatures (provider key + TSA key, the same key types)
 *   over a SHA-256-sized input, measured in the same process.
 * Usage: node evidence-child.js REPO COUNT ROUNDS
 */
import { sign as rawSign, type KeyObject } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Identity {
  certificateDer: Buffer;
  chainDer: Buffer[];
  privateKey: KeyObject;
}
interface Stamper {
  stamp(digest: Buffer): Promise<Buffer>;
}
interface SignBench {
  benchEvidenceSigning(o: { identity: Identity; timeStamper: Stamper; count: number }): Promise<{ perSecond: number; lastSize: number }>;
}
interface EvidenceModule {
  EvidenceSigner: new (o: { identity: Identity; timeStamper: Stamper }) => { sign(d: unknown): Promise<Buffer | string> };
  newEvidenceId(domain: string, at?: number): { id: string; identifier: string };
}

function keyType(k: KeyObject): string {
  const d = k.asymmetricKeyDetails;
  return k.asymmetricKeyType === 'ec' ? `EC ${d?.namedCurve ?? ''}`.trim() : `${k.asymmetricKeyType ?? '?'}${d?.modulusLength ? `-${d.modulusLength}` : ''}`;
}

function sampleEvidence(): Record<string, unknown> {
  const now = new Date();
  return {
    type: 'SubmissionAcceptanceRejection',
    event: 'Acceptance',
    issuer: { name: 'Bench KEPHS', address: 'kep@bench.kep' },
    senderAuthentication: { time: now, method: 'urn:kepd:authentication:smtp-sasl-password' },
    eventTime: now,
    submissionTime: now,
    sender: { name: 'Gonderen', address: 'sender@bench.kep' },
    recipients: [{ address: 'rcpt@bench.kep' }],
    message: { subject: 'bench', uaMessageId: '<1@loadgen.bench.kep>', providerMessageId: '<K1@bench.kep>', digestSha256: Buffer.alloc(32, 7) },
    extension: { iletiTip: 'standart' },
  };
}

async function main(): Promise<void> {
  const [repo, countArg, roundsArg] = process.argv.slice(2);
  const count = Number(countArg) || 1000;
  const rounds = Number(roundsArg) || 3;
  const dist = join(repo, 'dist');
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { ensureDevPki } = require(join(dist, 'pki', 'dev-pki.js')) as { ensureDevPki(o: Record<string, string>): Promise<unknown> };
  const { loadSigningIdentity } = require(join(dist, 'pki', 'identity.js')) as { loadSigningIdentity(c: string, k: string): Identity };
  const { BuiltInTsa } = require(join(dist, 'timestamp', 'index.js')) as { BuiltInTsa: new (id: Identity) => Stamper };
  const dir = mkdtempSync(join(tmpdir(), 'kepd-bench-evidence-'));
  try {
    await ensureDevPki({ pkiDir: dir, domain: 'bench.kep', providerName: 'Bench KEPHS', serviceAddress: 'kep@bench.kep' });
    const provider = loadSigningIdentity(join(dir, 'provider.pem'), join(dir, 'provider.key.pem'));
    const tsaId = loadSigningIdentity(join(dir, 'tsa.pem'), join(dir, 'tsa.key.pem'));
    const tsa = new BuiltInTsa(tsaId);

    let source: string;
    let once: (n: number) => Promise<{ perSecond: number; size: number }>;
    const benchFile = join(dist, 'evidence', 'bench-sign.js');
    if (existsSync(benchFile)) {
      source = 'dist/evidence/bench-sign.js';
      const b = require(benchFile) as SignBench;
      once = async (n) => {
        const r = await b.benchEvidenceSigning({ identity: provider, timeStamper: tsa, count: n });
        return { perSecond: r.perSecond, size: r.lastSize };
      };
    } else {
      source = 'EvidenceSigner (dist/evidence/index.js)';
      const ev = require(join(dist, 'evidence', 'index.js')) as EvidenceModule;
      const signer = new ev.EvidenceSigner({ identity: provider, timeStamper: tsa });
      const sample = sampleEvidence();
      await signer.sign({ ...sample, ...ev.newEvidenceId('bench.kep') });
      once = async (n) => {
        let size = 0;
        const t = process.hrtime.bigint();
        for (let i = 0; i < n; i++) size = (await signer.sign({ ...sample, ...ev.newEvidenceId('bench.kep') })).length;
        return { perSecond: n / (Number(process.hrtime.bigint() - t) / 1e9), size };
      };
    }

    const input = Buffer.alloc(32, 1);
    const floorOnce = (n: number): number => {
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) {
        rawSign('sha256', input, provider.privateKey);
        rawSign('sha256', input, tsaId.privateKey);
      }
      return n / (Number(process.hrtime.bigint() - t) / 1e9);
    };
    floorOnce(200);
    const evidencePerSec: number[] = [];
    const floorPairsPerSec: number[] = [];
    let size = 0;
    for (let r = 0; r < rounds; r++) {
      const e = await once(count);
      evidencePerSec.push(e.perSecond);
      size = e.size;
      floorPairsPerSec.push(floorOnce(Math.max(2000, count * 4)));
    }
    const out = {
      source,
      count,
      rounds,
      evidencePerSec,
      floorPairsPerSec,
      evidenceBytes: size,
      keyTypes: { provider: keyType(provider.privateKey), tsa: keyType(tsaId.privateKey) },
      cpuSeconds: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
    };
    process.stdout.write(JSON.stringify(out) + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
