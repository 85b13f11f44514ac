/**
 * The sequence-set resolver installed in place of imap-core's must return exactly what the
 * original returns, for any UID list and any set (valid or not), by UID and by sequence number.
 */
import fc from 'fast-check';
import { getMessageRange, imapTools } from '../../src/imap/core-range';

// Loaded before anything installs the replacement, so this is imap-core's own function.
const original = imapTools().getMessageRange;

const piece = fc.oneof(fc.constant('*'), fc.nat({ max: 40 }).map(String), fc.constantFrom('0', 'a', '', '-1', '4294967296', ' 3'));
const part = fc.array(piece, { minLength: 1, maxLength: 3 }).map((ps) => ps.join(':'));
const set = fc.oneof(fc.array(part, { minLength: 1, maxLength: 5 }).map((ps) => ps.join(',')), fc.string({ maxLength: 12 }));
const uids = fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { maxLength: 40 }).map((a) => a.sort((x, y) => x - y));

test('resolves every sequence set as imap-core does', () => {
  expect(original).not.toBe(getMessageRange);
  fc.assert(
    fc.property(uids, set, fc.boolean(), (list, range, isUid) => {
      expect(getMessageRange(list, range, isUid)).toEqual(original(list, range, isUid));
    }),
    { numRuns: 5000 },
  );
});

test('examples', () => {
  const list = [3, 5, 9, 12];
  expect(getMessageRange(list, '2:*', false)).toEqual([5, 9, 12]);
  expect(getMessageRange(list, '5,10:12', true)).toEqual([5, 12]);
  expect(getMessageRange(list, '*', true)).toEqual([12]);
  expect(getMessageRange([], '*', true)).toEqual([]);
});
