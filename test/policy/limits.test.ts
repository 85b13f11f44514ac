/** The pure parts of the limits: client address keys, the connection limiter, message-shape decisions. */
import { clientKey } from '../../src/policy/client-address';
import { ConnectionLimiter } from '../../src/policy/connection-limits';
import { shapeRejection } from '../../src/policy/message-limits';
import { ReasonCode } from '../../src/evidence/reasons';
import type { MessageShape } from '../../src/mime/shape';

test('client keys: IPv4 as is (also IPv4-mapped), IPv6 per /64, anything else bounded', () => {
  expect(clientKey('192.0.2.7')).toBe('192.0.2.7');
  expect(clientKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
  expect(clientKey('2001:db8:0:1::5')).toBe('2001:db8:0:1::/64');
  expect(clientKey('2001:0db8:0000:0001:ffff:0:0:9')).toBe('2001:db8:0:1::/64');
  expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  expect(clientKey('::1')).toBe('0:0:0:0::/64');
  expect(clientKey(undefined)).toBe('unknown');
  expect(clientKey('x'.repeat(500))).toHaveLength(64);
});

test('the limiter admits up to the limit per address and per account, releases once, and forgets closed keys', () => {
  const l = new ConnectionLimiter({ perAddress: 2, perAccount: 1 });
  const a = l.admitAddress('2001:db8:0:1::5');
  const b = l.admitAddress('2001:db8:0:1::6');
  expect([a.admitted, b.admitted]).toEqual([true, true]);
  expect(l.admitAddress('2001:db8:0:1::7')).toEqual({ admitted: false, limit: 2 });
  expect(l.admitAddress('2001:db8:0:2::7').admitted).toBe(true);
  if (!a.admitted) throw new Error('unreachable');
  a.admission.release();
  a.admission.release(); // idempotent: must not free a second slot
  expect(l.openFromAddress('2001:db8:0:1::1')).toBe(1);
  expect(l.admitAddress('2001:db8:0:1::8').admitted).toBe(true);
  expect(l.admitAddress('2001:db8:0:1::9').admitted).toBe(false);
  const acc = l.admitAccount('acc-1');
  expect(l.admitAccount('acc-1')).toEqual({ admitted: false, limit: 1 });
  if (acc.admitted) acc.admission.release();
  expect(l.openForAccount('acc-1')).toBe(0);
  const unlimited = new ConnectionLimiter({ perAddress: 0, perAccount: 0 });
  for (let i = 0; i < 1000; i++) expect(unlimited.admitAddress('192.0.2.1').admitted).toBe(true);
});

test('message shape: the first limit broken decides, header before body; each maps to its reply and reason', () => {
  const limits = { max_line_bytes: 998, max_header_fields: 50, max_header_bytes: 4096, max_mime_depth: 8, max_mime_parts: 20 };
  const ok: MessageShape = { longestLine: 998, longestLineNumber: 3, headerBytes: 4096, headerComplete: true, headerFields: 50, depth: 8, parts: 20 };
  expect(shapeRejection(ok, limits)).toBeUndefined();
  const cases: Array<[Partial<MessageShape>, number, string, ReasonCode]> = [
    [{ headerBytes: 4097, longestLine: 5000 }, 552, '5.3.4', ReasonCode.PolicyViolation],
    [{ headerFields: 51 }, 550, '5.6.0', ReasonCode.InvalidMessageFormat],
    [{ longestLine: 999 }, 550, '5.6.0', ReasonCode.InvalidMessageFormat],
    [{ depth: 9 }, 550, '5.6.0', ReasonCode.InvalidMessageFormat],
    [{ parts: 21 }, 550, '5.6.0', ReasonCode.InvalidMessageFormat],
  ];
  for (const [change, code, enhanced, reason] of cases) {
    const r = shapeRejection({ ...ok, ...change }, limits);
    expect(r).toMatchObject({ reply: { code, enhanced }, reason });
  }
  expect(shapeRejection({ ...ok, longestLine: 1200, longestLineNumber: 7 }, limits)?.message).toBe(
    'Line 7 of the message is 1200 bytes long; lines may be at most 998 bytes (RFC 5322 2.1.1)',
  );
});
