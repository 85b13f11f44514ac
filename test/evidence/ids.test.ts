import { newEvidenceId } from '../../src/evidence/ids';
import { isNCName } from '../../src/evidence/xml-text';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function decodeTime(id: string): number {
  return [...id.slice(3, 13)].reduce((t, c) => t * 32 + CROCKFORD.indexOf(c), 0);
}

describe('newEvidenceId', () => {
  test('an NCName ev-<26 base32>, and the identifier id@domain', () => {
    const { id, identifier } = newEvidenceId('kep.example');
    expect(id).toMatch(/^ev-[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(isNCName(id)).toBe(true);
    expect(identifier).toBe(`${id}@kep.example`);
  });

  test('the first 10 characters encode the creation time', () => {
    const t = Date.UTC(2031, 4, 6, 7, 8, 9, 10);
    expect(decodeTime(newEvidenceId('d', t).id)).toBe(t);
  });

  test('ids sort by time, and stay strictly increasing within one millisecond and when the clock steps back', () => {
    const base = Date.UTC(2032, 0, 1);
    const ids: string[] = [];
    for (let i = 0; i < 500; i++) ids.push(newEvidenceId('d', base).id);
    ids.push(newEvidenceId('d', base - 10_000).id);
    ids.push(newEvidenceId('d', base + 1).id);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
