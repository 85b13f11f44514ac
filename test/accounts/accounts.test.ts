import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAddress, transliterate, validateAccountAddress } from '../../src/accounts/address';
import { hashPassword, verifyPassword } from '../../src/accounts/password';
import { authenticate, createAccount } from '../../src/accounts/service';
import { ConflictError, UsageError } from '../../src/errors';
import { openEmbeddedStore } from '../../src/store';

describe('KEP addresses', () => {
  test.each([
    ['ali.veli@kep.example', 'person'],
    ['ali.veli.2@kep.example', 'person'],
    ['ayse-nur.kaya-demir@kep.example', 'person'],
    ['Ali.Veli@KEP.example', 'person'],
    ['0123456789012345@kep.example', 'entity'],
    ['ornek-holding.hukuk@kep.example', 'entity'],
    ['ornek@kep.example', 'entity'],
  ] as const)('%s is a valid %s address', (address, type) => {
    expect(validateAccountAddress(address, type, 'kep.example').address).toBe(address.toLowerCase());
  });

  test.each([
    ['aliveli@kep.example', 'person', /ad\.soyad/],
    ['ali.veli.0@kep.example', 'person', /ad\.soyad/],
    ['ali..veli@kep.example', 'person', /ad\.soyad/],
    ['ali.veli@other.example', 'person', /not on this provider/],
    ['ali veli@kep.example', 'person', /ad\.soyad/],
    ['-ornek@kep.example', 'entity', /entity/],
    ['ali.veli@', 'person', /name@domain/],
    ['ali@veli@kep.example', 'person', /name@domain/],
    ['ali.veli@kep', 'person', /not a valid domain/],
  ] as const)('%s is refused for a %s', (address, type, message) => {
    expect(() => validateAccountAddress(address, type, 'kep.example')).toThrow(message);
  });

  test('Turkish letters are refused with the ASCII spelling as a hint; other non-ASCII plainly refused', () => {
    expect(() => parseAddress('ayşe.öztürk@kep.example')).toThrow(/did you mean "ayse.ozturk@kep.example"/);
    expect(() => parseAddress('ÇAĞRI.IŞIK@kep.example')).toThrow(/did you mean "cagri.isik@kep.example"/);
    expect(() => parseAddress('jürgen.müller@kep.example')).toThrow(UsageError);
    expect(() => parseAddress('ǆ.x@kep.example')).toThrow(/outside ASCII/);
    expect(transliterate('İĞÜŞÖÇığüşöç')).toBe('igusocigusoc');
  });
});

describe('passwords', () => {
  test('scrypt hashes verify, differ per salt, and reject wrong or malformed input', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsf', a)).toBe(false);
    expect(await verifyPassword('correct horse', 'plain')).toBe(false);
    expect(await verifyPassword('correct horse', 'scrypt$0$8$1$AA==$AA==')).toBe(false);
  });
});

describe('account service', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kepd-accounts-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('create validates, never reissues an address, and authenticate checks the password', async () => {
    const store = await openEmbeddedStore({ dataDir: dir });
    try {
      const a = await createAccount(store, 'kep.example', 1000, { address: 'Ali.Veli@kep.example', password: 'secret-pass-1', nationalId: '12345678901' });
      expect(a.address).toBe('ali.veli@kep.example');
      expect(a.quotaBytes).toBe(1000);
      expect(a.passwordHash).not.toContain('secret-pass-1');
      await expect(createAccount(store, 'kep.example', 1000, { address: 'ali.veli@kep.example', password: 'secret-pass-2' })).rejects.toThrow(ConflictError);
      await expect(createAccount(store, 'kep.example', 1000, { address: 'ayse.kaya@kep.example', password: 'short' })).rejects.toThrow(/at least 8/);
      await expect(createAccount(store, 'kep.example', 1000, { address: 'ayse.kaya@kep.example', password: 'long-enough', nationalId: '12ab' })).rejects.toThrow(/national id/);
      expect(await authenticate(store, 'ALI.VELI@kep.example', 'secret-pass-1')).toMatchObject({ accountId: a.id, address: 'ali.veli@kep.example' });
      expect(await authenticate(store, 'ali.veli@kep.example', 'wrong-pass')).toBeNull();
      expect(await authenticate(store, 'nobody@kep.example', 'secret-pass-1')).toBeNull();
    } finally {
      await store.close();
    }
  });
});
