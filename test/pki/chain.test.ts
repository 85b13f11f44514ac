import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { issueCertificate, type CertificateTemplate } from '../../src/pki/cert-issue';
import { parseCertificate, type CertificateInfo } from '../../src/pki/certs';
import { validateChain, ChainError } from '../../src/pki/chain';
import { generateKeyPair } from '../../src/pki/keys';
import { OID } from '../../src/pki/oids';
import * as der from '../../src/pki/der';
import { signData, x509SignatureAlgorithm } from '../../src/pki/algorithms';
import { devPkiFixture, type DevPkiFixture } from '../support/pki';

const DAY = 86400_000;

describe('validateChain', () => {
  let fx: DevPkiFixture;
  let root: { cert: CertificateInfo; key: KeyObject };
  beforeAll(async () => {
    fx = await devPkiFixture();
    root = { cert: parseCertificate(fx.caDer), key: createPrivateKey(fx.caKeyPem) };
  });
  afterAll(() => fx.cleanup());

  async function issue(name: string, issuer: { cert: CertificateInfo; key: KeyObject }, extra: Partial<CertificateTemplate> = {}) {
    const { privateKey } = await generateKeyPair('ec');
    const d = issueCertificate({
      subject: [{ oid: OID.commonName, value: name }],
      publicKey: createPublicKey(privateKey),
      issuerCertificate: issuer.cert,
      signingKey: issuer.key,
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 30 * DAY),
      ...extra,
    });
    return { cert: parseCertificate(d), key: privateKey };
  }
  const ca = { ca: {}, keyUsage: ['keyCertSign' as const] };
  const failure = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(ChainError);
      return (e as ChainError).failure;
    }
    return 'valid';
  };

  test('root -> intermediate -> leaf, intermediates found in any order', async () => {
    const i1 = await issue('I1', root, ca);
    const i2 = await issue('I2', i1, ca);
    const leaf = await issue('leaf', i2);
    const path = validateChain(leaf.cert, { trustAnchors: [fx.caDer], intermediates: [fx.provider.certificateDer, i2.cert.der, i1.cert.der], at: new Date() });
    expect(path.map((c) => c.commonName)).toEqual(['leaf', 'I2', 'I1', root.cert.commonName]);
    expect(failure(() => validateChain(leaf.cert, { trustAnchors: [fx.caDer], intermediates: [i2.cert.der], at: new Date() }))).toBe('untrusted');
    // Trusting the intermediate directly is enough.
    expect(validateChain(leaf.cert, { trustAnchors: [i2.cert.der], at: new Date() })).toHaveLength(2);
  });

  test('CA constraints: not a CA, no keyCertSign, path length', async () => {
    const notCa = await issue('not a CA', root);
    expect(failure(() => validateChain(issueUnder(notCa), { trustAnchors: [fx.caDer], intermediates: [notCa.cert.der], at: new Date() }))).toBe('untrusted');
    const noKeyCertSign = await issue('no keyCertSign', root, { ca: {}, keyUsage: ['digitalSignature'] });
    expect(failure(() => validateChain(issueUnder(noKeyCertSign), { trustAnchors: [fx.caDer], intermediates: [noKeyCertSign.cert.der], at: new Date() }))).toBe('untrusted');
    const zero = await issue('pathlen 0', root, { ca: { pathLength: 0 }, keyUsage: ['keyCertSign'] });
    const below = await issue('below pathlen 0', zero, ca);
    const leaf = await issue('leaf', below);
    expect(failure(() => validateChain(leaf.cert, { trustAnchors: [fx.caDer], intermediates: [zero.cert.der, below.cert.der], at: new Date() }))).toBe('untrusted');
    expect(validateChain(below.cert, { trustAnchors: [fx.caDer], intermediates: [zero.cert.der], at: new Date() })).toHaveLength(3);

    function issueUnder(parent: { cert: CertificateInfo; key: KeyObject }): CertificateInfo {
      return parseCertificate(
        issueCertificate({
          subject: [{ oid: OID.commonName, value: 'child' }],
          publicKey: createPublicKey(parent.key),
          issuerCertificate: parent.cert,
          signingKey: parent.key,
          notBefore: new Date(Date.now() - DAY),
          notAfter: new Date(Date.now() + DAY),
        }),
      );
    }
  });

  test('validity of every certificate in the path, at the given time', async () => {
    const inter = await issue('short-lived CA', root, { ...ca, notAfter: new Date(Date.now() + 2 * DAY) });
    const leaf = await issue('leaf', inter, { notAfter: new Date(Date.now() + 30 * DAY) });
    const o = (at: Date) => ({ trustAnchors: [fx.caDer], intermediates: [inter.cert.der], at });
    expect(failure(() => validateChain(leaf.cert, o(new Date())))).toBe('valid');
    expect(failure(() => validateChain(leaf.cert, o(new Date(Date.now() + 5 * DAY))))).toBe('expired');
    expect(failure(() => validateChain(leaf.cert, o(new Date(Date.now() - 5 * DAY))))).toBe('not-yet-valid');
  });

  test('a forged certificate (right names, wrong signer key) does not chain', async () => {
    const { privateKey: mallory } = await generateKeyPair('ec');
    const forged = await issue('forged', { cert: root.cert, key: mallory });
    expect(failure(() => validateChain(forged.cert, { trustAnchors: [fx.caDer], at: new Date() }))).toBe('untrusted');
  });

  test('unknown critical extensions make a certificate unusable', async () => {
    // Build a certificate with a made-up critical extension by hand.
    const { privateKey } = await generateKeyPair('ec');
    const withExt = certificateWithCriticalExtension(privateKey);
    expect(failure(() => validateChain(parseCertificate(withExt), { trustAnchors: [fx.caDer], at: new Date() }))).toBe('untrusted');

    function certificateWithCriticalExtension(key: KeyObject): Buffer {
      const ext = der.sequence(der.oid('1.3.6.1.4.1.99999.1'), der.boolean(true), der.octetString(der.nullValue()));
      const sigAlg = x509SignatureAlgorithm(root.key, 'SHA-256');
      const tbs = der.sequence(
        der.explicit(0, der.smallInteger(2)),
        der.smallInteger(4242),
        sigAlg,
        root.cert.subjectDer,
        der.sequence(der.utcTime(new Date(Date.now() - DAY)), der.utcTime(new Date(Date.now() + DAY))),
        der.sequence(der.setOf(der.sequence(der.oid(OID.commonName), der.utf8String('crit')))),
        createPublicKey(key).export({ type: 'spki', format: 'der' }),
        der.explicit(3, der.sequence(ext)),
      );
      return der.sequence(tbs, sigAlg, der.bitString(signData(root.key, 'SHA-256', tbs)));
    }
  });
});
