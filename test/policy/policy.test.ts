import { defaultConfig } from '../../src/config';
import { ReasonCode } from '../../src/evidence/reasons';
import { routeRecipient, sizeLimitFor } from '../../src/policy/recipients';
import { Rejections } from '../../src/policy/rejections';
import { normaliseNationalId, signerMismatch } from '../../src/policy/signer';

const config = {
  ...defaultConfig('/tmp/x'),
  domain: 'kep.example',
  providers: [{ name: 'Other', domains: ['hs02.kep.tr'], relay: 'mx.other:25', ca: 'pki/other.pem' }],
};

describe('recipients', () => {
  test('local, other provider, or not a KEP address (case-insensitive domains)', () => {
    expect(routeRecipient('a.b@kep.example', config).kind).toBe('local');
    expect(routeRecipient('a.b@KEP.Example', config).kind).toBe('local');
    const remote = routeRecipient('x@hs02.kep.tr', config);
    expect(remote.kind).toBe('remote');
    expect(remote.kind === 'remote' && remote.provider.name).toBe('Other');
    expect(routeRecipient('x@gmail.com', config).kind).toBe('not-kep');
    expect(routeRecipient('no-at-sign', config).kind).toBe('not-kep');
    expect(routeRecipient('x@sub.kep.example', config).kind).toBe('not-kep');
  });

  test('100 MB within the provider, 25 MB as soon as one recipient is elsewhere', () => {
    const local = routeRecipient('a.b@kep.example', config);
    const remote = routeRecipient('x@hs02.kep.tr', config);
    expect(sizeLimitFor([local, local], config.limits)).toEqual({ limit: 104857600, relay: false });
    expect(sizeLimitFor([local, remote], config.limits)).toEqual({ limit: 26214400, relay: true });
  });
});

describe('who may sign', () => {
  test('a registered national id must be the certificate subject serialNumber (ETSI semantics prefixes tolerated)', () => {
    const sender = { address: 'ali.veli@kep.example', nationalId: '12345678901' };
    expect(signerMismatch({ serialNumbers: ['12345678901'], emails: [] }, sender)).toBeUndefined();
    expect(signerMismatch({ serialNumbers: ['PNOTR-12345678901'], emails: [] }, sender)).toBeUndefined();
    expect(signerMismatch({ serialNumbers: ['98765432109'], emails: ['ali.veli@kep.example'] }, sender)).toMatch(/national id/);
    expect(signerMismatch({ serialNumbers: [], emails: ['ali.veli@kep.example'] }, sender)).toMatch(/no subject serialNumber/);
    expect(normaliseNationalId(' idctr-1234 5678901 ')).toBe('12345678901');
  });

  test('without a national id, the SAN e-mail must be the KEP address', () => {
    const sender = { address: 'ali.veli@kep.example' };
    expect(signerMismatch({ serialNumbers: [], emails: ['Ali.Veli@KEP.example'] }, sender)).toBeUndefined();
    expect(signerMismatch({ serialNumbers: [], emails: ['bob@kep.example'] }, sender)).toMatch(/issued to bob@kep.example/);
    expect(signerMismatch({ serialNumbers: [], emails: [] }, sender)).toMatch(/no e-mail address/);
  });
});

describe('refusal catalogue', () => {
  test('every refusal carries an RFC 3463 code matching its basic code and an ETSI reason', () => {
    const all = [
      Rejections.senderMismatch('a@x', 'b@x'),
      Rejections.accountNotActive('a@x', 'closed'),
      Rejections.receiveOnly('a@x'),
      Rejections.senderOverQuota(10, 5),
      Rejections.notKepAddress('a@gmail.com'),
      Rejections.unknownLocalRecipient('a@x'),
      Rejections.recipientNotReceiving('a@x'),
      Rejections.tooBig(10, 5, true),
      Rejections.fromMismatch('a@x', 'b@x'),
      Rejections.malformed('no header'),
      Rejections.badIletiTip('telgraf'),
      Rejections.wrongSigner('mismatch'),
    ];
    for (const r of all) {
      expect(String(r.reply.code)[0]).toBe(r.reply.enhanced[0]);
      expect(r.reply.enhanced).toMatch(/^5\.\d\.\d+$/);
      expect(Object.values(ReasonCode)).toContain(r.reason);
      expect(r.message.length).toBeGreaterThan(10);
    }
    expect(Rejections.notKepAddress('a@gmail.com').reason).toBe(ReasonCode.PolicyViolation);
    expect(Rejections.unknownLocalRecipient('a@x').reason).toBe(ReasonCode.UnknownRecipient);
    expect(Rejections.malformed('x').reason).toBe(ReasonCode.InvalidMessageFormat);
    expect(Rejections.tooBig(30, 25, true).message).toMatch(/another KEP provider/);
    expect(Rejections.tooManyRecipients(100).reply).toEqual({ code: 452, enhanced: '4.5.3' });
  });
});
