import { createHash, generateKeyPairSync } from 'node:crypto';
import { TimeStampUnavailable } from '../../src/errors';
import { EvidenceSigningError } from '../../src/evidence/errors';
import { parseEvidenceXml } from '../../src/evidence/parse';
import { renderEvidenceXml } from '../../src/evidence/render';
import { EvidenceSigner } from '../../src/evidence/xades-sign';
import { parseCertificate } from '../../src/pki/certs';
import { COMBOS, comboEvidence, fullEvidence, tempDir, tool, xmllintValidate } from '../support/evidence-fixtures';
import { createEvidencePki, type EvidencePki } from '../support/evidence-pki';

const DS = 'http://www.w3.org/2000/09/xmldsig#';

function one(xml: string, re: RegExp): string {
  const m = re.exec(xml);
  if (!m) throw new Error(`not found: ${re}`);
  return m[1]!;
}

/** The exclusive-c14n form of ds:SignatureValue, written out by hand from the spec. */
function canonicalSignatureValue(xml: string): string {
  const m = /<ds:SignatureValue [^>]*Id="([^"]+)"[^>]*>([^<]+)<\/ds:SignatureValue>/.exec(xml)!;
  return `<ds:SignatureValue xmlns:ds="${DS}" Id="${m[1]}">${m[2]}</ds:SignatureValue>`;
}

describe('EvidenceSigner', () => {
  let pki: EvidencePki;
  const tmp = tempDir();
  beforeAll(async () => {
    pki = await createEvidencePki();
  });
  afterAll(() => {
    pki?.cleanup();
    tmp.cleanup();
  });

  async function xmlsecVerify(file: string) {
    const r = await tool('xmlsec1', ['--verify', '--trusted-pem', pki.caPem, file]);
    return { ...r, out: r.stdout + r.stderr };
  }

  test.each(COMBOS.map((c, i) => [`${c.type}/${c.event}`, i] as const))(
    '%s: signed evidence is schema-valid and verifies with xmlsec1 (2/2 references)',
    async (_n, i) => {
      const signer = new EvidenceSigner({ identity: pki.provider, timeStamper: pki.tsa });
      const xml = await signer.sign(comboEvidence(COMBOS[i]!, i));
      const file = tmp.file(`signed-${i}.xml`, xml);
      const lint = await xmllintValidate(file);
      expect(lint.stderr).toContain('validates');
      expect(lint.code).toBe(0);
      const v = await xmlsecVerify(file);
      expect(v.out).toMatch(/^OK$/m);
      expect(v.out).toContain('SignedInfo References (ok/all): 2/2');
      expect(v.code).toBe(0);
    },
  );

  test('xmlsec1 also verifies evidence signed with the development PKI certificate', async () => {
    const signer = new EvidenceSigner({ identity: pki.devProvider, timeStamper: pki.tsa });
    const v = await xmlsecVerify(tmp.file('dev.xml', await signer.sign(fullEvidence())));
    expect(v.out).toMatch(/^OK$/m);
    expect(v.out).toContain('SignedInfo References (ok/all): 2/2');
  });

  test('RSA keys sign with rsa-sha256, verified by xmlsec1', async () => {
    const signer = new EvidenceSigner({ identity: pki.rsaProvider, timeStamper: pki.tsa });
    const xml = (await signer.sign(fullEvidence())).toString('utf8');
    expect(xml).toContain('<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256">');
    const file = tmp.file('rsa.xml', xml);
    expect((await xmllintValidate(file)).code).toBe(0);
    const v = await xmlsecVerify(file);
    expect(v.out).toContain('SignedInfo References (ok/all): 2/2');
    expect(v.code).toBe(0);
  });

  test('a modified evidence fails xmlsec1', async () => {
    const signer = new EvidenceSigner({ identity: pki.provider, timeStamper: pki.tsa });
    const xml = (await signer.sign(fullEvidence())).toString('utf8').replace('Ali Veli', 'Veli Ali');
    const v = await xmlsecVerify(tmp.file('tampered.xml', xml));
    expect(v.code).not.toBe(0);
    expect(v.out).toContain('FAIL');
  });

  test('signature layout: enveloped, last child, ECDSA r||s, XAdES properties bound to the signer', async () => {
    const data = fullEvidence();
    const signer = new EvidenceSigner({ identity: pki.provider, timeStamper: pki.tsa, now: () => new Date('2024-01-02T10:00:06Z') });
    const bytes = await signer.sign(data);
    const xml = bytes.toString('utf8');
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
    // Removing the signature gives back exactly the rendered evidence.
    expect(xml.replace(/ {2}<ds:Signature [\s\S]*<\/ds:Signature>\n/, '')).toBe(renderEvidenceXml(data));
    expect(xml).toMatch(/<\/ds:Signature>\n<\/rem:SubmissionAcceptanceRejection>\n$/);
    expect(parseEvidenceXml(bytes)).toEqual(data);

    expect(xml).toContain('<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256">');
    expect(Buffer.from(one(xml, /<ds:SignatureValue[^>]*>([^<]+)</), 'base64')).toHaveLength(64);
    expect(xml).toContain(`<ds:Reference Id="${data.id}-ref-evidence" URI="">`);
    expect(xml).toContain('<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature">');
    expect(xml).toContain(`<ds:Reference Type="http://uri.etsi.org/01903#SignedProperties" URI="#${data.id}-signedprops">`);
    expect(xml).toContain(`<xades:QualifyingProperties xmlns:xades="http://uri.etsi.org/01903/v1.3.2#" Target="#${data.id}-sig">`);
    expect(xml).toContain(`<ds:Signature xmlns:ds="${DS}" Id="${data.id}-sig">`);
    expect(xml).toContain(`<xades:DataObjectFormat ObjectReference="#${data.id}-ref-evidence">`);
    expect(xml).toContain('<xades:MimeType>text/xml</xades:MimeType>');
    expect(xml).toContain('<xades:SigningTime>2024-01-02T10:00:06.000Z</xades:SigningTime>');

    const certB64 = pki.provider.certificateDer.toString('base64');
    expect(one(xml, /<ds:X509Certificate>([^<]+)</)).toBe(certB64);
    const certDigest = one(xml, /<xades:CertDigest>[\s\S]*?<ds:DigestValue[^>]*>([^<]+)</);
    expect(certDigest).toBe(createHash('sha256').update(pki.provider.certificateDer).digest('base64'));
    const serial = one(xml, /<ds:X509SerialNumber[^>]*>([^<]+)</);
    expect(BigInt(serial)).toBe(BigInt('0x' + parseCertificate(pki.provider.certificateDer).serialHex));
    // Issuer name as openssl prints it in RFC 2253 form.
    const issuer = await tool('openssl', ['x509', '-in', pki.providerPem, '-noout', '-issuer', '-nameopt', 'RFC2253']);
    expect(one(xml, /<ds:X509IssuerName[^>]*>([^<]+)</)).toBe(issuer.stdout.trim().replace(/^issuer=/, ''));
  });

  test('the SignatureTimeStamp verifies with openssl ts over the canonical ds:SignatureValue', async () => {
    const signer = new EvidenceSigner({ identity: pki.provider, timeStamper: pki.tsa });
    const xml = (await signer.sign(fullEvidence())).toString('utf8');
    const tok = tmp.file('tok.der', Buffer.from(one(xml, /<xades:EncapsulatedTimeStamp>([^<]+)</), 'base64'));
    const imprint = createHash('sha256').update(canonicalSignatureValue(xml), 'utf8').digest('hex');
    const v = await tool('openssl', ['ts', '-verify', '-token_in', '-in', tok, '-digest', imprint, '-CAfile', pki.caPem, '-untrusted', pki.tsaPem]);
    expect(v.stdout + v.stderr).toContain('Verification: OK');
    expect(v.code).toBe(0);
    const text = await tool('openssl', ['ts', '-reply', '-token_in', '-in', tok, '-text']);
    expect(text.stdout).toContain('Hash Algorithm: sha256');
    const hexdump = [...text.stdout.matchAll(/^\s+[0-9a-f]{4} - ([0-9a-f -]+?)\s{2,}/gm)].map((m) => m[1]!.replace(/[ -]/g, '')).join('');
    expect(hexdump).toBe(imprint);
    // And a wrong imprint is refused by the same command.
    const wrong = createHash('sha256').update('other').digest('hex');
    const bad = await tool('openssl', ['ts', '-verify', '-token_in', '-in', tok, '-digest', wrong, '-CAfile', pki.caPem, '-untrusted', pki.tsaPem]);
    expect(bad.code).not.toBe(0);
  });

  test('no time-stamp, no evidence', async () => {
    const unavailable = new EvidenceSigner({
      identity: pki.provider,
      timeStamper: { stamp: async () => Promise.reject(new TimeStampUnavailable('TSA down')) },
    });
    await expect(unavailable.sign(fullEvidence())).rejects.toThrow(TimeStampUnavailable);
    const broken = new EvidenceSigner({ identity: pki.provider, timeStamper: { stamp: async () => Promise.reject(new Error('socket hang up')) } });
    await expect(broken.sign(fullEvidence())).rejects.toThrow(TimeStampUnavailable);
    const empty = new EvidenceSigner({ identity: pki.provider, timeStamper: { stamp: async () => Buffer.alloc(0) } });
    await expect(empty.sign(fullEvidence())).rejects.toThrow(TimeStampUnavailable);
  });

  test('the time-stamper is asked for the SHA-256 of the canonical ds:SignatureValue', async () => {
    const asked: Buffer[] = [];
    const signer = new EvidenceSigner({
      identity: pki.provider,
      timeStamper: { stamp: async (d) => (asked.push(d), pki.tsa.stamp(d)) },
    });
    const xml = (await signer.sign(fullEvidence())).toString('utf8');
    expect(asked).toHaveLength(1);
    expect(asked[0]!.equals(createHash('sha256').update(canonicalSignatureValue(xml), 'utf8').digest())).toBe(true);
  });

  test('a key that does not belong to the certificate, or an unsupported key type, is refused', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(() => new EvidenceSigner({ identity: { ...pki.provider, privateKey: other }, timeStamper: pki.tsa })).toThrow(EvidenceSigningError);
    const ed = generateKeyPairSync('ed25519').privateKey;
    expect(() => new EvidenceSigner({ identity: { ...pki.provider, privateKey: ed }, timeStamper: pki.tsa })).toThrow(/unsupported signing key/);
  });
});
