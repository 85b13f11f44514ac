/**
 * String builders for the parts of the enveloped XAdES signature. Pure.
 *
 * Each digested or signed part (SignedProperties, SignedInfo, SignatureValue) is written in
 * its exclusive-canonical form — the namespace declarations exc-c14n puts on a subtree are
 * written into the document too (redundant there, and harmless) — and at the indentation
 * depth where it sits, so the bytes hashed are exactly the bytes in the evidence.
 *
 * Depths: root 0, ds:Signature 1, its children 2, QualifyingProperties 3, Signed/UnsignedProperties 4.
 */
import { ALG_ENVELOPED, ALG_EXC_C14N, ALG_SHA256, NS_DS, NS_XADES, TYPE_SIGNED_PROPERTIES } from './namespaces';
import { XmlWriter } from './xml-writer';

export const INDENT = '  ';

const DS_DECL = ['xmlns:ds', NS_DS] as const;

/** The Ids the signature parts carry, all derived from the evidence @Id (an NCName). */
export interface SignatureIds {
  signature: string;
  signatureValue: string;
  signedProperties: string;
  evidenceReference: string;
  timeStamp: string;
}

export function signatureIds(evidenceId: string): SignatureIds {
  return {
    signature: `${evidenceId}-sig`,
    signatureValue: `${evidenceId}-sigvalue`,
    signedProperties: `${evidenceId}-signedprops`,
    evidenceReference: `${evidenceId}-ref-evidence`,
    timeStamp: `${evidenceId}-sigts`,
  };
}

/**
 * The element written by `w` (made at `depth`) without its leading indentation and final
 * newline. Builders write straight into a writer rather than pass a callback: a closure made
 * per call has its optimized code dropped at every full collection (see xml-text.ts).
 */
function elementText(w: XmlWriter, depth: number): string {
  return w.toString().slice(INDENT.length * depth, -1);
}

export interface SignedPropertiesInput {
  ids: SignatureIds;
  signingTime: string;
  certDigestB64: string;
  issuerName: string;
  serialDecimal: string;
}

export function buildSignedProperties(p: SignedPropertiesInput): string {
  const w = new XmlWriter(INDENT, 4);
  w.open('xades:SignedProperties', [
    ['xmlns:xades', NS_XADES],
    ['Id', p.ids.signedProperties],
  ]);
  w.open('xades:SignedSignatureProperties');
  w.leaf('xades:SigningTime', p.signingTime);
  w.open('xades:SigningCertificate').open('xades:Cert').open('xades:CertDigest');
  w.leaf('ds:DigestMethod', '', [DS_DECL, ['Algorithm', ALG_SHA256]]);
  w.leaf('ds:DigestValue', p.certDigestB64, [DS_DECL]);
  w.close('xades:CertDigest').open('xades:IssuerSerial');
  w.leaf('ds:X509IssuerName', p.issuerName, [DS_DECL]);
  w.leaf('ds:X509SerialNumber', p.serialDecimal, [DS_DECL]);
  w.close('xades:IssuerSerial').close('xades:Cert').close('xades:SigningCertificate');
  w.close('xades:SignedSignatureProperties');
  w.open('xades:SignedDataObjectProperties');
  w.open('xades:DataObjectFormat', [['ObjectReference', `#${p.ids.evidenceReference}`]]);
  w.leaf('xades:MimeType', 'text/xml');
  w.close('xades:DataObjectFormat');
  w.close('xades:SignedDataObjectProperties');
  w.close('xades:SignedProperties');
  return elementText(w, 4);
}

export interface SignedInfoInput {
  ids: SignatureIds;
  signatureMethod: string;
  evidenceDigestB64: string;
  signedPropertiesDigestB64: string;
}

export function buildSignedInfo(p: SignedInfoInput): string {
  const w = new XmlWriter(INDENT, 2);
  w.open('ds:SignedInfo', [DS_DECL]);
  w.leaf('ds:CanonicalizationMethod', '', [['Algorithm', ALG_EXC_C14N]]);
  w.leaf('ds:SignatureMethod', '', [['Algorithm', p.signatureMethod]]);
  // URI="" + enveloped-signature: the whole evidence minus this signature; stock xmlsec1
  // resolves it without being told which attribute is an ID.
  w.open('ds:Reference', [
    ['Id', p.ids.evidenceReference],
    ['URI', ''],
  ]);
  w.open('ds:Transforms');
  w.leaf('ds:Transform', '', [['Algorithm', ALG_ENVELOPED]]);
  w.leaf('ds:Transform', '', [['Algorithm', ALG_EXC_C14N]]);
  w.close('ds:Transforms');
  w.leaf('ds:DigestMethod', '', [['Algorithm', ALG_SHA256]]);
  w.leaf('ds:DigestValue', p.evidenceDigestB64);
  w.close('ds:Reference');
  w.open('ds:Reference', [
    ['Type', TYPE_SIGNED_PROPERTIES],
    ['URI', `#${p.ids.signedProperties}`],
  ]);
  w.open('ds:Transforms');
  w.leaf('ds:Transform', '', [['Algorithm', ALG_EXC_C14N]]);
  w.close('ds:Transforms');
  w.leaf('ds:DigestMethod', '', [['Algorithm', ALG_SHA256]]);
  w.leaf('ds:DigestValue', p.signedPropertiesDigestB64);
  w.close('ds:Reference');
  w.close('ds:SignedInfo');
  return elementText(w, 2);
}

export function buildSignatureValue(ids: SignatureIds, valueB64: string): string {
  const w = new XmlWriter(INDENT, 2);
  w.leaf('ds:SignatureValue', valueB64, [DS_DECL, ['Id', ids.signatureValue]]);
  return elementText(w, 2);
}

export interface SignatureInput {
  ids: SignatureIds;
  signedInfo: string;
  signatureValue: string;
  certificatesB64: string[];
  signedProperties: string;
  timeStampB64: string;
}

/** The complete ds:Signature, indented for depth 1, ending with a newline. */
export function buildSignature(p: SignatureInput): string {
  const w = new XmlWriter(INDENT, 1);
  w.open('ds:Signature', [DS_DECL, ['Id', p.ids.signature]]);
  w.raw(p.signedInfo);
  w.raw(p.signatureValue);
  w.open('ds:KeyInfo').open('ds:X509Data');
  for (const c of p.certificatesB64) w.leaf('ds:X509Certificate', c);
  w.close('ds:X509Data').close('ds:KeyInfo');
  w.open('ds:Object');
  w.open('xades:QualifyingProperties', [
    ['xmlns:xades', NS_XADES],
    ['Target', `#${p.ids.signature}`],
  ]);
  w.raw(p.signedProperties);
  w.open('xades:UnsignedProperties').open('xades:UnsignedSignatureProperties');
  w.open('xades:SignatureTimeStamp', [['Id', p.ids.timeStamp]]);
  w.leaf('ds:CanonicalizationMethod', '', [['Algorithm', ALG_EXC_C14N]]);
  w.leaf('xades:EncapsulatedTimeStamp', p.timeStampB64);
  w.close('xades:SignatureTimeStamp');
  w.close('xades:UnsignedSignatureProperties').close('xades:UnsignedProperties');
  w.close('xades:QualifyingProperties');
  w.close('ds:Object');
  w.close('ds:Signature');
  return w.toString();
}
