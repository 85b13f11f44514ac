/**
 * The KEP directory (kep-rem.md §8.3): legal entities always listed, persons only when they opt
 * in, nothing about unlisted, pending or closed accounts ever shown; names match whatever the
 * case and Turkish spelling.
 */
import { checkAddresses, classifyQuery, lookup } from '../../src/accounts/directory';
import { closeAccount } from '../../src/accounts/lifecycle';
import { createAccount } from '../../src/accounts/service';
import { UsageError } from '../../src/errors';
import { foldText } from '../../src/store/embedded/text-fold';
import { openTempStore, type TempStore } from '../support/store-fixtures';

let t: TempStore;

beforeAll(async () => {
  t = await openTempStore();
  const make = (address: string, extra: Partial<Parameters<typeof createAccount>[3]> = {}) =>
    createAccount(t.store, 'kep.test', 1000, { address, password: 'long-enough-1', ...extra });
  await make('1234567890123456@kep.test', { type: 'entity', displayName: 'ŞİŞLİ Çiçekçilik A.Ş.' });
  await make('ornek-holding.hukuk@kep.test', { type: 'entity', displayName: 'Örnek Holding', mersis: '6543210987654321' });
  await make('ayse.kaya@kep.test', { displayName: 'Ayşe Kaya', listed: true });
  await make('gizli.kaya@kep.test', { displayName: 'Gizli Kaya', nationalId: '12345678901' });
  await make('bekleyen.kaya@kep.test', { displayName: 'Bekleyen Kaya', listed: true, pending: true });
  await make('kapali-ornek@kep.test', { type: 'entity', displayName: 'Kapalı Örnek Ltd.' });
  await closeAccount(t.store, 'kapali-ornek@kep.test', { actor: 'x' });
});
afterAll(async () => {
  await t.cleanup();
});

test('folding for names: case, Turkish dotted and dotless i, and diacritics', () => {
  expect(foldText('ŞİŞLİ Çiçekçilik')).toBe('sisli cicekcilik');
  expect(foldText('IŞIK ığdır')).toBe('isik igdir');
  expect(foldText('Örnek Holding A.Ş.')).toBe('ornek holding a.s.');
});

test('what a query asks for; national ids and too short names are refused', () => {
  expect(classifyQuery(' Ali.Veli@KEP.test ')).toEqual({ address: 'ali.veli@kep.test' });
  expect(classifyQuery('1234567890123456')).toEqual({ mersis: '1234567890123456' });
  expect(classifyQuery('Örnek')).toEqual({ name: 'Örnek' });
  expect(() => classifyQuery('12345678901')).toThrow(/not searchable/);
  expect(() => classifyQuery('ab')).toThrow(UsageError);
  expect(() => classifyQuery('ayşe@kep.test')).toThrow(/ASCII/);
});

test('lookups by name, MERSIS (from the address or given) and address show listed active accounts only', async () => {
  expect(await lookup(t.store, 'sisli')).toEqual([
    { address: '1234567890123456@kep.test', type: 'entity', name: 'ŞİŞLİ Çiçekçilik A.Ş.', mersis: '1234567890123456' },
  ]);
  expect((await lookup(t.store, '6543210987654321')).map((e) => e.address)).toEqual(['ornek-holding.hukuk@kep.test']);
  expect((await lookup(t.store, 'ÖRNEK')).map((e) => e.address)).toEqual(['ornek-holding.hukuk@kep.test']);
  expect((await lookup(t.store, 'kaya')).map((e) => e.address)).toEqual(['ayse.kaya@kep.test']);
  expect(await lookup(t.store, 'AYSE.KAYA@kep.test')).toEqual([{ address: 'ayse.kaya@kep.test', type: 'person', name: 'Ayşe Kaya' }]);
  for (const hidden of ['gizli.kaya@kep.test', 'bekleyen.kaya@kep.test', 'kapali-ornek@kep.test', 'Gizli', 'Bekleyen', 'Kapalı']) {
    expect(await lookup(t.store, hidden)).toEqual([]);
  }
  // an entry never carries a person's national id
  expect(JSON.stringify(await lookup(t.store, 'kaya'))).not.toContain('12345678901');
});

test('bulk check: listed / not listed / invalid; hidden accounts answer exactly like unknown ones', async () => {
  const results = await checkAddresses(t.store, [
    'ayse.kaya@kep.test',
    '  gizli.kaya@kep.test  ',
    '# a comment',
    '',
    'kimse.yok@kep.test',
    'bekleyen.kaya@kep.test',
    'kapali-ornek@kep.test',
    'bad address',
  ]);
  expect(results.map((r) => `${r.input}=${r.status}`)).toEqual([
    'ayse.kaya@kep.test=listed',
    'gizli.kaya@kep.test=not listed',
    'kimse.yok@kep.test=not listed',
    'bekleyen.kaya@kep.test=not listed',
    'kapali-ornek@kep.test=not listed',
    'bad address=invalid',
  ]);
  const unknown = results[2]!;
  for (const hidden of [results[1]!, results[3]!, results[4]!]) expect({ ...hidden, input: unknown.input }).toEqual(unknown);
  expect(results[5]!.detail).toMatch(/name@domain/);
});
