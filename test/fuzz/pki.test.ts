/**
 * Hostile input to the PKI layer: mutated DER (certificates, CMS signatures, CAdES-T signatures
 * with their time-stamp tokens, time-stamp requests) and mutated S/MIME messages, plus random
 * bytes. Every failure must be a typed error; whatever verifies must still be what was signed.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { bufferSource } from '../../src/mime';
import { MimeFormatError } from '../../src/mime/errors';
import { certificatesFromFile, parseCertificate, pemToDerList } from '../../src/pki';
import { parseSignedData, parseSignedDataWithAsn1js, type CmsAttribute, type SignedData } from '../../src/pki/cms-parse';
import { signDetachedCades } from '../../src/pki/cms-sign';
import { verifyDetachedCms, verifyEncapsulatedCms } from '../../src/pki/cms-verify';
import { CertificateFormatError, SignatureVerificationError } from '../../src/pki/errors';
import { OID } from '../../src/pki/oids';
import { verifySmimeMessage } from '../../src/pki/smime-verify';
import { BuiltInTsa } from '../../src/timestamp';
import { fuzzParams, hostileBytes, typedOutcome } from '../support/fuzz';
import { devPkiFixture, userCertFiles, type DevPkiFixture } from '../support/pki';
import { signWithOpenssl } from '../support/smime';

let fx: DevPkiFixture;
let certDer: Buffer;
let detached: Buffer;
let signedContent: Buffer;
let multipartSigned: Buffer;
let opaque: Buffer;
let cades: Buffer;
let cadesContent: Buffer;
let tsa: BuiltInTsa;
const at = new Date();

beforeAll(async () => {
  fx = await devPkiFixture();
  const ali = await userCertFiles(fx, 'ali.veli');
  certDer = ali.certDer;
  const spec = { from: 'ali.veli@kep.test', to: ['ayse.kaya@kep.test'], subject: 'fuzz' };
  multipartSigned = signWithOpenssl(spec, ali.certPath, ali.keyPath);
  opaque = signWithOpenssl(spec, ali.certPath, ali.keyPath, { opaque: true });
  // The detached signature and the exact signed bytes of the multipart/signed message.
  const text = multipartSigned.toString('latin1');
  const boundary = /boundary="([^"]+)"/.exec(text)![1]!;
  const parts = text.split(`--${boundary}`);
  signedContent = Buffer.from(parts[1]!.replace(/^\r\n/, '').replace(/\r\n$/, ''), 'latin1');
  const sigPart = parts[2]!;
  detached = Buffer.from(sigPart.slice(sigPart.indexOf('\r\n\r\n') + 4).replace(/\s+/g, ''), 'base64');
  tsa = new BuiltInTsa(fx.tsa);
  cadesContent = Buffer.from('REM dispatch bytes');
  cades = await signDetachedCades({ contentDigest: createHash('sha256').update(cadesContent).digest(), identity: fx.provider, timeStamper: tsa });
});

afterAll(() => fx?.cleanup());

const digestsOf = (content: Buffer) => async (alg: string) => createHash(alg.replace('-', '').toLowerCase()).update(content).digest();

test('sanity: the unmutated inputs verify (so a mutation that still verifies would be noticed)', async () => {
  expect((await verifyDetachedCms({ signatureDer: detached, contentDigests: digestsOf(signedContent), trustAnchors: [fx.caDer], at, requireEku: OID.emailProtection })).signerCertificateDer.equals(certDer)).toBe(true);
  expect((await verifySmimeMessage(bufferSource(multipartSigned), { trustAnchors: [fx.caDer], at })).format).toBe('multipart-signed');
  expect((await verifySmimeMessage(bufferSource(opaque), { trustAnchors: [fx.caDer], at })).format).toBe('opaque');
  const v = await verifyDetachedCms({ signatureDer: cades, contentDigests: digestsOf(cadesContent), trustAnchors: [fx.caDer], at, timeStampTrustAnchors: [fx.caDer] });
  expect(v.signatureTimeStamp).toBeDefined();
});

test('certificates: mutated DER, random bytes and mutated PEM give a certificate or a CertificateFormatError', async () => {
  const pem = Buffer.from(fx.caPem);
  await fc.assert(
    fc.asyncProperty(hostileBytes([certDer, fx.caDer]), hostileBytes([pem], 512), async (der, pemBytes) => {
      const r = await typedOutcome(() => parseCertificate(der));
      if (r instanceof Error) expect(r).toBeInstanceOf(CertificateFormatError);
      else expect(r.der.equals(der)).toBe(true);
      const list = await typedOutcome(() => certificatesFromFile(pemBytes));
      if (list instanceof Error) expect(list).toBeInstanceOf(CertificateFormatError);
      await typedOutcome(() => pemToDerList(pemBytes).map((d) => parseCertificate(d)));
    }),
    fuzzParams(300),
  );
});

test('CMS: mutated detached and encapsulated signatures verify only as what was signed, or fail with SignatureVerificationError', async () => {
  const encapsulated = Buffer.from(opaque.toString('latin1').split('\r\n\r\n').slice(1).join('\r\n\r\n').replace(/\s+/g, ''), 'base64');
  await fc.assert(
    fc.asyncProperty(hostileBytes([detached, encapsulated], 2048), async (der) => {
      await typedOutcome(() => parseSignedData(der));
      const d = await typedOutcome(() =>
        verifyDetachedCms({ signatureDer: der, contentDigests: digestsOf(signedContent), trustAnchors: [fx.caDer], at, requireEku: OID.emailProtection }),
      );
      if (d instanceof Error) expect(d).toBeInstanceOf(SignatureVerificationError);
      else expect(d.signerCertificateDer.equals(certDer)).toBe(true);
      const e = await typedOutcome(() => verifyEncapsulatedCms({ signatureDer: der, trustAnchors: [fx.caDer], at, requireEku: OID.emailProtection }));
      if (e instanceof Error) expect(e).toBeInstanceOf(SignatureVerificationError);
      else expect(e.eContent.toString('latin1')).toContain('bu bir KEP iletisidir');
    }),
    fuzzParams(300),
  );
});

test('CMS: the fast SignedData reader (certificates sliced, not parsed) gives what asn1js gives, or the same refusal (a broken certificate shows when it is parsed)', async () => {
  const encapsulated = Buffer.from(opaque.toString('latin1').split('\r\n\r\n').slice(1).join('\r\n\r\n').replace(/\s+/g, ''), 'base64');
  const isRefusal = (o: unknown): boolean => typeof o === 'object' && o !== null && 'refused' in o;
  // Attribute values are parsed elements (asn1js's objects or the DER reader's): compared by their bytes.
  const bytesOf = (attrs: CmsAttribute[]) => attrs.map((a) => ({ oid: a.oid, values: a.values.map((v) => Buffer.from(v.valueBeforeDecodeView).toString('hex')) }));
  const comparable = (sd: SignedData) => ({
    ...sd,
    signerInfos: sd.signerInfos.map((si) => ({ ...si, signedAttrs: bytesOf(si.signedAttrs), unsignedAttrs: bytesOf(si.unsignedAttrs) })),
  });
  const outcome = (f: () => SignedData): unknown => {
    try {
      return comparable(f());
    } catch (err) {
      return { refused: (err as Error).constructor.name };
    }
  };
  // The unmutated inputs take the fast path and carry certificates (else this compares nothing).
  for (const der of [detached, encapsulated, cades]) {
    const sd = parseSignedData(der);
    expect(sd.certificates.length).toBeGreaterThan(0);
    expect(comparable(sd)).toEqual(comparable(parseSignedDataWithAsn1js(der)));
  }
  fc.assert(
    fc.property(hostileBytes([detached, encapsulated, cades], 2048), (der) => {
      const fast = outcome(() => parseSignedData(der));
      const full = outcome(() => parseSignedDataWithAsn1js(der));
      if (isRefusal(full) && !isRefusal(fast)) {
        // Only a broken certificate may pass the fast reader (it is not parsed there); it is
        // refused when a verifier parses it.
        const certs = (fast as { certificates: Buffer[] }).certificates;
        const refused = (c: Buffer): boolean => {
          try {
            parseCertificate(c);
            return false;
          } catch {
            return true;
          }
        };
        expect(certs.some(refused)).toBe(true);
      } else {
        expect(fast).toEqual(full);
      }
    }),
    fuzzParams(1000),
  );
});

test('CAdES-T: mutated provider signatures and their time-stamp tokens fail with SignatureVerificationError', async () => {
  await fc.assert(
    fc.asyncProperty(hostileBytes([cades], 2048), async (der) => {
      const r = await typedOutcome(() =>
        verifyDetachedCms({ signatureDer: der, contentDigests: digestsOf(cadesContent), trustAnchors: [fx.caDer], at, timeStampTrustAnchors: [fx.caDer] }),
      );
      if (r instanceof Error) expect(r).toBeInstanceOf(SignatureVerificationError);
      else expect(r.signerCertificateDer.equals(fx.provider.certificateDer)).toBe(true);
    }),
    fuzzParams(200),
  );
});

test('S/MIME: mutated signed messages are accepted only when the signature still holds, else a typed refusal', async () => {
  await fc.assert(
    fc.asyncProperty(hostileBytes([multipartSigned, opaque]), async (bytes) => {
      const r = await typedOutcome(() => verifySmimeMessage(bufferSource(bytes), { trustAnchors: [fx.caDer], at }));
      if (r instanceof Error) {
        expect(r instanceof SignatureVerificationError || r instanceof MimeFormatError).toBe(true);
        return;
      }
      expect(r.signerCertificateDer.equals(certDer)).toBe(true);
      // What verified is exactly the signed content (a mutation elsewhere, e.g. in the top header, is harmless).
      const content = Buffer.isBuffer(r.signedEntity) ? r.signedEntity : bytes.subarray(r.signedEntity.start, r.signedEntity.end);
      expect(content.toString('latin1')).toContain('bu bir KEP iletisidir');
    }),
    fuzzParams(300),
  );
});

test('time-stamp requests: mutated and random TimeStampReq get a response (granted or rejected), never an untyped error', async () => {
  const { execFileSync } = await import('node:child_process');
  const { writeFileSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const data = join(fx.dir, 'tsq.data');
  writeFileSync(data, 'data to stamp');
  execFileSync('openssl', ['ts', '-query', '-data', data, '-sha256', '-cert', '-out', join(fx.dir, 'req.tsq')], { stdio: 'ignore' });
  const request = readFileSync(join(fx.dir, 'req.tsq'));
  await fc.assert(
    fc.asyncProperty(hostileBytes([request], 256), async (req) => {
      const r = await typedOutcome(() => tsa.respond(req));
      if (!(r instanceof Error)) expect(r.length).toBeGreaterThan(0);
    }),
    fuzzParams(200),
  );
});
