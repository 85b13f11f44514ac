/**
 * Operators of legal-entity accounts and the activation agreement: certificates checked
 * against the user trust anchors, logins never reused, operators' logins acting for the
 * entity, and agreements in every accepted form (S/MIME, CMS opaque DER/PEM, detached).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyAgreement, AgreementRejected } from '../../src/accounts/agreement';
import { addOperator, removeOperator, validateOperatorLogin } from '../../src/accounts/operators';
import { authenticate, createAccount, principalRefusal } from '../../src/accounts/service';
import { ConflictError, NotFoundError, UsageError } from '../../src/errors';
import { OID } from '../../src/pki/oids';
import type { MailStore } from '../../src/store';
import { devPkiFixture, openssl, userCertFiles, type DevPkiFixture, type UserCertFiles } from '../support/pki';
import { openTempStore, type TempStore } from '../support/store-fixtures';

let fx: DevPkiFixture;
let other: DevPkiFixture;
let mehmet: UserCertFiles;
let zeynep: UserCertFiles;
let t: TempStore;
let store: MailStore;
const now = new Date();

beforeAll(async () => {
  fx = await devPkiFixture();
  other = await devPkiFixture();
  mehmet = await userCertFiles(fx, 'mehmet', { address: 'mehmet@example.org', name: 'Mehmet Demir', nationalId: '22222222222' });
  zeynep = await userCertFiles(fx, 'zeynep', { address: 'zeynep@example.org', name: 'Zeynep Kaya' });
});
afterAll(() => {
  fx?.cleanup();
  other?.cleanup();
});
beforeEach(async () => {
  t = await openTempStore();
  store = t.store;
});
afterEach(async () => {
  await t.cleanup();
});

const check = (): { trustAnchors: Buffer[]; at: Date } => ({ trustAnchors: [fx.caDer], at: now });

async function entity(): Promise<string> {
  const e = await createAccount(store, 'kep.test', 1000, { address: 'ornek-holding@kep.test', type: 'entity', password: 'entity-pass-1' });
  return e.address;
}

describe('operators', () => {
  test('logins: ASCII, 3-128 safe characters, lower-cased; Turkish letters get a hint', () => {
    expect(validateOperatorLogin(' Mehmet.Demir ')).toBe('mehmet.demir');
    expect(validateOperatorLogin('m.demir@ornek.com.tr')).toBe('m.demir@ornek.com.tr');
    expect(() => validateOperatorLogin('şule')).toThrow(/did you mean "sule"/);
    expect(() => validateOperatorLogin('ab')).toThrow(/3-128/);
    expect(() => validateOperatorLogin('.mehmet')).toThrow(UsageError);
    expect(() => validateOperatorLogin('mehmet demir')).toThrow(UsageError);
  });

  test('added with their certificate; log in as themselves, act for the entity; removal ends it; the login is never reused', async () => {
    const address = await entity();
    const op = await addOperator(
      store,
      { entityAddress: address, login: 'Mehmet.Demir', password: 'mehmet-pass-1', certificate: readFileSync(mehmet.certPath) },
      check(),
      { actor: 'staff:ayse' },
    );
    expect(op).toMatchObject({ login: 'mehmet.demir', nationalId: '22222222222', name: 'Mehmet Demir' });
    expect(op.certificateDer.equals(mehmet.certDer)).toBe(true);
    expect(op.passwordHash).not.toContain('mehmet-pass-1');
    // DER works as well as PEM; the operator's id comes from the certificate unless given
    const z = await addOperator(store, { entityAddress: address, login: 'zeynep', password: 'zeynep-pass-1', certificate: zeynep.certDer, nationalId: '33333333333' }, check(), {
      actor: 'staff:ayse',
    });
    expect(z.nationalId).toBe('33333333333');

    const user = await authenticate(store, 'MEHMET.DEMIR', 'mehmet-pass-1');
    const holder = (await store.accounts.getByAddress(address))!;
    expect(user).toMatchObject({ accountId: holder.id, address, operator: 'mehmet.demir' });
    expect(await authenticate(store, 'mehmet.demir', 'entity-pass-1')).toBeNull();
    expect(await authenticate(store, address, 'mehmet-pass-1')).toBeNull();
    expect(await authenticate(store, address, 'entity-pass-1')).toMatchObject({ address });
    expect((await authenticate(store, address, 'entity-pass-1'))!.operator).toBeUndefined();

    await expect(removeOperator(store, address, 'nobody', { actor: 'x' })).rejects.toThrow(NotFoundError);
    const removed = await removeOperator(store, address, 'MEHMET.DEMIR', { actor: 'staff:can' });
    expect(removed.removedAt).toBeInstanceOf(Date);
    expect(await authenticate(store, 'mehmet.demir', 'mehmet-pass-1')).toBeNull();
    expect(await principalRefusal(store, { accountId: holder.id, operator: 'mehmet.demir' }, new Date(), { closedAccessDays: 90 })).toMatch(/no longer authorised/);
    expect(await principalRefusal(store, { accountId: holder.id, operator: 'zeynep' }, new Date(), { closedAccessDays: 90 })).toBeUndefined();
    await expect(
      addOperator(store, { entityAddress: address, login: 'mehmet.demir', password: 'mehmet-pass-2', certificate: mehmet.certDer }, check(), { actor: 'x' }),
    ).rejects.toThrow(/never reused/);
    expect((await store.operators.list(holder.id)).map((o) => o.login)).toEqual(['zeynep']);
    expect((await store.operators.list(holder.id, { includeRemoved: true })).map((o) => o.login)).toEqual(['mehmet.demir', 'zeynep']);
    const history = await store.accounts.history(holder.id);
    expect(history.map((h) => `${h.kind}:${h.actor}:${JSON.stringify(h.details?.login ?? null)}`)).toEqual([
      'created:system:null',
      'operator-added:staff:ayse:"mehmet.demir"',
      'operator-added:staff:ayse:"zeynep"',
      'operator-removed:staff:can:"mehmet.demir"',
    ]);
  });

  test('refused: persons, closed entities, untrusted, CA, expired or non-S/MIME certificates, twins, logins that are addresses', async () => {
    const address = await entity();
    const add = (over: Partial<Parameters<typeof addOperator>[1]>, c = check()) =>
      addOperator(store, { entityAddress: address, login: 'op.one', password: 'op-pass-123', certificate: mehmet.certDer, ...over }, c, { actor: 'x' });
    const personal = await createAccount(store, 'kep.test', 1000, { address: 'ali.veli@kep.test', password: 'person-pass-1' });
    await expect(add({ entityAddress: personal.address })).rejects.toThrow(/legal-entity accounts/);
    await expect(add({}, { trustAnchors: [other.caDer], at: now })).rejects.toThrow(/not trusted for user signatures/);
    await expect(add({ certificate: fx.caDer })).rejects.toThrow(/CA certificate/);
    await expect(add({}, { trustAnchors: [fx.caDer], at: new Date(now.getTime() + 10 * 365 * 86_400_000) })).rejects.toThrow(/not valid now/);
    const serverOnly = await userCertFiles(fx, 'server-only', { extKeyUsage: [OID.serverAuth] });
    await expect(add({ certificate: serverOnly.certDer })).rejects.toThrow(/emailProtection/);
    await expect(add({ certificate: Buffer.from('not a certificate') })).rejects.toThrow(UsageError);
    await expect(add({ password: 'short' })).rejects.toThrow(/at least 8/);
    await expect(add({ nationalId: '123' })).rejects.toThrow(/11-digit/);
    await expect(add({ login: 'ali.veli@kep.test' })).rejects.toThrow(ConflictError);

    await add({});
    await expect(add({ login: 'op.two' })).rejects.toThrow(/already registered for operator op\.one/);
    // ... and no address is ever created with an operator's login (logins must stay unambiguous)
    await store.operators.add(
      { accountId: (await store.accounts.getByAddress(address))!.id, login: 'login@kep.test', passwordHash: 'x', certificateDer: zeynep.certDer },
      { actor: 'x' },
    );
    await expect(createAccount(store, 'kep.test', 1000, { address: 'login@kep.test', type: 'entity', password: 'entity-pass-1' })).rejects.toThrow(
      /operator login/,
    );

    const { closeAccount } = await import('../../src/accounts/lifecycle');
    await closeAccount(store, address, { actor: 'x' });
    await expect(add({ login: 'op.three', certificate: zeynep.certDer })).rejects.toThrow(/is closed/);
  });
});

describe('the activation agreement', () => {
  const holder = { address: 'ali.veli@kep.test', nationalId: '22222222222' };
  const agreementText = Buffer.from('Content-Type: text/plain; charset=utf-8\r\n\r\nKEP hesabı sözleşmesini kabul ediyorum.\r\n');

  async function sign(args: string[], input = agreementText, signer = mehmet): Promise<Buffer> {
    const inFile = join(fx.dir, 'agreement.txt');
    const outFile = join(fx.dir, `agreement.out`);
    writeFileSync(inFile, input);
    const r = await openssl(['cms', '-sign', '-in', inFile, '-signer', signer.certPath, '-inkey', signer.keyPath, '-md', 'sha256', '-out', outFile, ...args]);
    expect(r.stderr).toBe('');
    return readFileSync(outFile);
  }

  test('S/MIME (detached), CMS opaque in DER and PEM, and a detached .p7s with its document are accepted', async () => {
    const smime = await verifyAgreement({ bytes: await sign([]) }, { ...check(), holder });
    expect(smime).toMatchObject({ format: 'smime', signerSubject: expect.stringContaining('Mehmet Demir') });
    expect(smime.signerCertificateDer.equals(mehmet.certDer)).toBe(true);
    const der = await sign(['-nodetach', '-outform', 'DER']);
    expect((await verifyAgreement({ bytes: der }, { ...check(), holder })).format).toBe('cms-opaque');
    expect((await verifyAgreement({ bytes: await sign(['-nodetach', '-outform', 'PEM']) }, { ...check(), holder })).format).toBe('cms-opaque');
    const p7s = await sign(['-outform', 'DER']);
    await expect(verifyAgreement({ bytes: p7s }, { ...check(), holder })).rejects.toThrow(/detached signature: give the signed document too/);
    const detached = await verifyAgreement({ bytes: p7s, content: agreementText }, { ...check(), holder });
    expect(detached.format).toBe('cms-detached');
    expect(detached.contentSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(detached.document.equals(p7s)).toBe(true);
    await expect(verifyAgreement({ bytes: p7s, content: Buffer.from('another document') }, { ...check(), holder })).rejects.toThrow(AgreementRejected);
  });

  test('refused: another signer, an untrusted CA, no signature, garbage — with the reason', async () => {
    const byZeynep = await sign([], agreementText, zeynep);
    await expect(verifyAgreement({ bytes: byZeynep }, { ...check(), holder })).rejects.toThrow(/not signed by the holder of <ali\.veli@kep\.test>.*national id/);
    // without a registered national id the SAN e-mail must be the KEP address
    await expect(verifyAgreement({ bytes: byZeynep }, { ...check(), holder: { address: 'zeynep@example.org' } })).resolves.toMatchObject({ format: 'smime' });
    await expect(verifyAgreement({ bytes: await sign([]) }, { trustAnchors: [other.caDer], at: now, holder })).rejects.toThrow(/signature is not acceptable/);
    await expect(verifyAgreement({ bytes: agreementText }, { ...check(), holder })).rejects.toThrow(/not S\/MIME signed/);
    await expect(verifyAgreement({ bytes: Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]) }, { ...check(), holder })).rejects.toThrow(AgreementRejected);
    await expect(verifyAgreement({ bytes: Buffer.alloc(0) }, { ...check(), holder })).rejects.toThrow(/empty/);
    await expect(verifyAgreement({ bytes: Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n') }, { ...check(), holder })).rejects.toThrow(
      /holds no CMS signature/,
    );
  });
});
