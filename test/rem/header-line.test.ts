/**
 * headerLine (rem/format.ts) writes short fields directly and folds the rest with libmime: the
 * bytes must be those libmime's folding gives for every length around the 76-character line.
 */
import libmime from 'libmime';
import { headerLine } from '../../src/rem/format';

const viaLibmime = (name: string, value: string): string => libmime.foldLines(`${name}: ${value}`, 76).replace(/\r?\n/g, '\r\n') + '\r\n';

describe('headerLine', () => {
  it('gives the folded bytes for every length from short to well over a line', () => {
    for (let n = 1; n <= 200; n++) {
      const spaced = Array.from({ length: n }, (_, i) => (i % 9 === 8 ? ' ' : String.fromCharCode(97 + (i % 26)))).join('');
      const solid = 'x'.repeat(n);
      for (const value of [spaced, solid, `${spaced}\nnext`]) {
        expect(headerLine('Subject', value)).toBe(viaLibmime('Subject', value));
      }
    }
  });

  it('keeps a short field on one line and folds a long one at a space', () => {
    expect(headerLine('X-REM-Section-Type', 'Evidence')).toBe('X-REM-Section-Type: Evidence\r\n');
    const long = headerLine('Content-Type', `multipart/mixed; boundary="${'b'.repeat(40)}"; charset=UTF-8; name="x"`);
    expect(long.split('\r\n').length).toBeGreaterThan(2);
    for (const l of long.split('\r\n')) expect(l.length).toBeLessThanOrEqual(76);
  });
});
