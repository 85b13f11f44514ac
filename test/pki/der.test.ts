import { randomBytes, randomInt } from 'node:crypto';
import * as der from '../../src/pki/der';
import { parseDer, oidValue, integerBytes, timeValue, primitiveContent, Asn1FormatError, sequenceChildren } from '../../src/pki/asn1-read';
import { openssl, tempDir } from '../support/pki';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

describe('DER writer and reader', () => {
  test('OIDs round-trip, including arcs beyond 2^53 (UUID OIDs)', () => {
    for (const o of ['1.2.840.113549.1.9.16.2.47', '2.5.29.37.0', '0.9.2342.19200300.100.1.1', '2.25.3845846312916763772597816965796412642', '2.999.1']) {
      expect(oidValue(parseDer(der.oid(o), 't'), 't')).toBe(o);
    }
  });

  test('openssl reads what we write', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const blob = der.sequence(
        der.oid('2.25.3845846312916763772597816965796412642'),
        der.unsignedInteger(Buffer.from([0x80, 0x01])),
        der.utcTime(new Date('2029-12-31T23:59:59Z')),
        der.generalizedTime(new Date('2051-01-02T03:04:05.120Z'), true),
        der.namedBits([0, 1]),
        der.setOf(der.utf8String('şğü'), der.printableString('ABC')),
        der.octetString(Buffer.alloc(300, 1)),
      );
      writeFileSync(join(dir, 'b.der'), blob);
      const out = (await openssl(['asn1parse', '-inform', 'DER', '-in', join(dir, 'b.der')])).stdout;
      expect(out).toContain('OBJECT            :2.25.3845846312916763772597816965796412642');
      expect(out).toContain('INTEGER           :8001');
      expect(out).toContain('UTCTIME           :291231235959Z');
      expect(out).toContain('GENERALIZEDTIME   :20510102030405.12Z');
      expect(out).toMatch(/BIT STRING/);
      expect(out).toMatch(/l= 300 prim: OCTET STRING/);
    } finally {
      cleanup();
    }
  });

  test('integers, times and lengths round-trip through the reader', () => {
    for (let i = 0; i < 200; i++) {
      const mag = randomBytes(randomInt(1, 40));
      const back = integerBytes(parseDer(der.unsignedInteger(mag), 'i'), 'i');
      expect(BigInt('0x' + back.toString('hex'))).toBe(BigInt('0x' + mag.toString('hex')));
      const big = randomBytes(randomInt(0, 70000));
      // Buffer#equals: jest's deep equality is very slow on large buffers.
      expect(primitiveContent(parseDer(der.octetString(big), 'o'), 'o').equals(big)).toBe(true);
    }
    const t = new Date('2033-05-06T07:08:09.5Z');
    expect(timeValue(parseDer(der.generalizedTime(t, true), 't'), 't')).toEqual(t);
    expect(timeValue(parseDer(der.x509Time(new Date('2049-01-01T00:00:00Z')), 't'), 't')).toEqual(new Date('2049-01-01T00:00:00Z'));
    expect(der.x509Time(new Date('2050-01-01T00:00:00Z'))[0]).toBe(0x18);
  });

  test('length octets at every form boundary; constructed values are their parts behind one header', () => {
    const cases: Array<[number, number[]]> = [
      [0, [0x00]],
      [127, [0x7f]],
      [128, [0x81, 0x80]],
      [255, [0x81, 0xff]],
      [256, [0x82, 0x01, 0x00]],
      [65535, [0x82, 0xff, 0xff]],
      [65536, [0x83, 0x01, 0x00, 0x00]],
      [16777216, [0x84, 0x01, 0x00, 0x00, 0x00]],
    ];
    for (const [n, lengthOctets] of cases) {
      const content = randomBytes(n);
      const encoded = der.octetString(content);
      expect([...encoded.subarray(0, 1 + lengthOctets.length)]).toEqual([0x04, ...lengthOctets]);
      expect(encoded.subarray(1 + lengthOctets.length).equals(content)).toBe(true);
      expect(encoded.length).toBe(1 + lengthOctets.length + n);
    }
    const parts = [der.smallInteger(0), der.octetString(randomBytes(200)), der.nullValue(), der.oid('1.2.3')];
    const body = Buffer.concat(parts);
    expect(der.sequence(...parts).equals(Buffer.concat([Buffer.from([0x30, 0x81, body.length]), body]))).toBe(true);
    expect(der.implicitConstructed(2, ...parts).equals(Buffer.concat([Buffer.from([0xa2, 0x81, body.length]), body]))).toBe(true);
    expect(der.sequence().equals(Buffer.from([0x30, 0x00]))).toBe(true);
    expect([...der.unsignedInteger(Buffer.from([0x00, 0x00, 0x80]))]).toEqual([0x02, 0x02, 0x00, 0x80]);
    expect([...der.smallInteger(0)]).toEqual([0x02, 0x01, 0x00]);
  });

  test('SET OF is sorted (DER); named bits drop trailing zeros', () => {
    const a = der.utf8String('b');
    const b = der.utf8String('a');
    expect(der.setOf(a, b)).toEqual(Buffer.concat([Buffer.from([0x31, 6]), b, a]));
    expect(der.namedBits([0, 1])).toEqual(Buffer.from([0x03, 0x02, 0x06, 0xc0]));
    expect(der.namedBits([5, 6])).toEqual(Buffer.from([0x03, 0x02, 0x01, 0x06]));
    expect(der.namedBits([25])).toEqual(Buffer.from([0x03, 0x05, 0x06, 0, 0, 0, 0x40]));
  });

  test('the reader rejects inconsistent lengths and trailing bytes', () => {
    const good = der.sequence(der.sequence(der.smallInteger(5)), der.smallInteger(7));
    expect(sequenceChildren(parseDer(good, 'g'), 'g')).toHaveLength(2);
    const short = Buffer.from(good);
    short[3] -= 1; // inner SEQUENCE claims one byte less than its child needs
    expect(() => parseDer(short, 's')).toThrow(Asn1FormatError);
    expect(() => parseDer(Buffer.concat([good, Buffer.from([0])]), 't')).toThrow(/trailing/);
    expect(() => parseDer(Buffer.alloc(0), 'e')).toThrow(Asn1FormatError);
  });
});
