import { rfc4514Name } from '../../src/evidence/dn';

describe('rfc4514Name', () => {
  test('most specific first, short names for the RFC 4514 attribute types, dotted OIDs otherwise', () => {
    expect(
      rfc4514Name([
        { oid: '2.5.4.6', value: 'TR' },
        { oid: '2.5.4.10', value: 'Örnek A.Ş.' },
        { oid: '2.5.4.5', value: '12345678901' },
        { oid: '2.5.4.3', value: 'Ali Veli' },
      ]),
    ).toBe('CN=Ali Veli,2.5.4.5=12345678901,O=Örnek A.Ş.,C=TR');
  });

  test('escapes special characters, leading # or space, trailing space and controls', () => {
    expect(rfc4514Name([{ oid: '2.5.4.3', value: 'a,b+c;d<e>f"g\\h' }])).toBe('CN=a\\,b\\+c\\;d\\<e\\>f\\"g\\\\h');
    expect(rfc4514Name([{ oid: '2.5.4.3', value: '#x ' }])).toBe('CN=\\#x\\ ');
    expect(rfc4514Name([{ oid: '2.5.4.3', value: ' lead' }])).toBe('CN=\\ lead');
    expect(rfc4514Name([{ oid: '2.5.4.3', value: 'a\u0000b\u001fc' }])).toBe('CN=a\\00b\\1fc');
  });
});
