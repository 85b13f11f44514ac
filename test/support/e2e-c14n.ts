/**
 * Exclusive c14n of ds:SignatureValue computed independently of kepd's signer (xml-crypto on an
 * xmldom DOM), to check the XAdES-T time-stamp imprint with openssl.
 */
import { DOMParser } from '@xmldom/xmldom';
import { ExclusiveCanonicalization } from 'xml-crypto';

export function canonicalSignatureValueOf(xml: string): string {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const node = doc.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'SignatureValue').item(0);
  if (!node) throw new Error('no ds:SignatureValue');
  return new ExclusiveCanonicalization().process(node as never, {}).toString();
}
