/**
 * XMLDSig core validation of one ds:Signature in a parsed document: reference digests and the
 * SignatureValue. Only what evidence signatures use is supported (same-document references,
 * enveloped-signature, XPath-Filter-2 subtract of ds:Signature, c14n 1.0 / exclusive c14n);
 * anything else is reported as a problem, never silently skipped.
 */
import { createHash, verify as nodeVerify, type KeyObject } from 'node:crypto';
import type { Document, Element } from '@xmldom/xmldom';
import { C14N_ALGORITHMS, canonicalize } from './c14n';
import { childNS, childrenNS, elementsWithAttr, textOf } from './dom';
import {
  ALG_C14N,
  ALG_C14N_COMMENTS,
  ALG_ENVELOPED,
  ALG_EXC_C14N,
  ALG_EXC_C14N_COMMENTS,
  ALG_SHA1,
  ALG_XPATH_FILTER2,
  DIGEST_HASH,
  NS_DS,
  SIGNATURE_ALG,
} from './namespaces';

const NS_EXC_C14N = ALG_EXC_C14N;
const MAX_REFERENCES = 8;

export interface ReferenceCheck {
  uri: string;
  type?: string;
  /** The element the reference resolved to (the root for URI=""). */
  target?: Element;
  ok: boolean;
  problem?: string;
}

/** Resolves and checks every ds:Reference of the signature's SignedInfo. */
export function checkReferences(doc: Document, signature: Element): ReferenceCheck[] {
  const signedInfo = childNS(signature, NS_DS, 'SignedInfo');
  if (!signedInfo) return [{ uri: '', ok: false, problem: 'ds:SignedInfo is missing' }];
  const refs = childrenNS(signedInfo, NS_DS, 'Reference');
  if (refs.length === 0) return [{ uri: '', ok: false, problem: 'ds:SignedInfo has no ds:Reference' }];
  // Each reference canonicalises (part of) the document: bound the work hostile input can ask for.
  if (refs.length > MAX_REFERENCES) return [{ uri: '', ok: false, problem: `ds:SignedInfo has ${refs.length} references (at most ${MAX_REFERENCES})` }];
  return refs.map((ref) => checkReference(doc, signature, ref));
}

function checkReference(doc: Document, signature: Element, ref: Element): ReferenceCheck {
  const uri = ref.getAttribute('URI') ?? '';
  const type = ref.getAttribute('Type') ?? undefined;
  const base: ReferenceCheck = type === undefined ? { uri, ok: false } : { uri, type, ok: false };
  const fail = (problem: string, target?: Element): ReferenceCheck => (target ? { ...base, target, problem } : { ...base, problem });

  const target = resolveUri(doc, uri);
  if (typeof target === 'string') return fail(`reference "${uri}": ${target}`);

  const exclude: Element[] = [];
  let c14nAlg = ALG_C14N;
  let prefixes: string[] | undefined;
  const transforms = childNS(ref, NS_DS, 'Transforms');
  for (const t of transforms ? childrenNS(transforms, NS_DS, 'Transform') : []) {
    const alg = t.getAttribute('Algorithm') ?? '';
    if (alg === ALG_ENVELOPED) {
      exclude.push(signature);
    } else if (alg === ALG_XPATH_FILTER2) {
      const sigs = filter2SubtractSignatures(doc, t);
      if (typeof sigs === 'string') return fail(`reference "${uri}": ${sigs}`, target);
      exclude.push(...sigs);
    } else if (C14N_ALGORITHMS.has(alg)) {
      // Same-document references never carry comments, whichever c14n variant is named.
      c14nAlg = alg === ALG_EXC_C14N_COMMENTS ? ALG_EXC_C14N : alg === ALG_C14N_COMMENTS ? ALG_C14N : alg;
      prefixes = inclusivePrefixes(t);
    } else {
      return fail(`reference "${uri}": unsupported transform ${alg}`, target);
    }
  }

  const digestMethod = childNS(ref, NS_DS, 'DigestMethod')?.getAttribute('Algorithm') ?? '';
  const hash = DIGEST_HASH[digestMethod];
  if (!hash) return fail(`reference "${uri}": unsupported digest method ${digestMethod}`, target);
  if (digestMethod === ALG_SHA1) return fail(`reference "${uri}": SHA-1 digests are not accepted`, target);
  const digestValueEl = childNS(ref, NS_DS, 'DigestValue');
  if (!digestValueEl) return fail(`reference "${uri}": ds:DigestValue is missing`, target);
  const expected = Buffer.from(textOf(digestValueEl).replace(/\s+/g, ''), 'base64');

  const c14n = canonicalize(target, c14nAlg, { exclude, ...(prefixes ? { inclusivePrefixes: prefixes } : {}) });
  const actual = createHash(hash).update(c14n, 'utf8').digest();
  if (!actual.equals(expected)) return fail(`reference "${uri}"${type ? ` (${type})` : ''}: digest does not match the content`, target);
  return { ...base, target, ok: true };
}

/** The element a same-document URI names, or why it cannot be resolved. */
function resolveUri(doc: Document, uri: string): Element | string {
  const root = doc.documentElement;
  if (!root) return 'document has no root';
  if (uri === '') return root;
  if (!uri.startsWith('#') || uri.startsWith('#xpointer(')) return 'only same-document "#Id" or "" references are supported';
  const id = uri.slice(1);
  const hits = [...elementsWithAttr(root, 'Id', id), ...elementsWithAttr(root, 'ID', id), ...elementsWithAttr(root, 'id', id)];
  const unique = [...new Set(hits)];
  if (unique.length === 0) return `no element has Id "${id}"`;
  // Two elements with one Id is the shape of a signature-wrapping attack.
  if (unique.length > 1) return `Id "${id}" is not unique`;
  return unique[0] as Element;
}

/**
 * XPath-Filter-2 as evidence signers use it: `subtract` of `/descendant::ds:Signature` (or
 * `//ds:Signature`). Returns the elements to leave out, or why the filter is not supported.
 */
function filter2SubtractSignatures(doc: Document, transform: Element): Element[] | string {
  const xp = childrenNS(transform, ALG_XPATH_FILTER2, 'XPath');
  if (xp.length !== 1) return 'only a single XPath-Filter-2 expression is supported';
  const el = xp[0] as Element;
  const m = /^\s*(?:\/descendant::|\/\/)([A-Za-z_][\w.-]*):Signature\s*$/.exec(textOf(el));
  if (el.getAttribute('Filter') !== 'subtract' || !m || el.lookupNamespaceURI(m[1] as string) !== NS_DS) {
    return 'only the XPath-Filter-2 "subtract /descendant::ds:Signature" is supported';
  }
  const root = doc.documentElement!;
  const out: Element[] = [];
  const stack: Element[] = [root];
  while (stack.length > 0) {
    const e = stack.pop()!;
    if (e.namespaceURI === NS_DS && e.localName === 'Signature') {
      out.push(e);
      continue; // its descendants go with it
    }
    for (let c = e.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) stack.push(c as Element);
  }
  return out;
}

function inclusivePrefixes(transformOrMethod: Element): string[] | undefined {
  const inc = childNS(transformOrMethod, NS_EXC_C14N, 'InclusiveNamespaces');
  const list = inc?.getAttribute('PrefixList');
  return list ? list.split(/\s+/).filter((p) => p.length > 0) : undefined;
}

export interface SignatureValueCheck {
  ok: boolean;
  problem?: string;
}

/** Checks ds:SignatureValue over the canonical ds:SignedInfo with the given public key. */
export function checkSignatureValue(signature: Element, publicKey: KeyObject): SignatureValueCheck {
  const signedInfo = childNS(signature, NS_DS, 'SignedInfo');
  const valueEl = childNS(signature, NS_DS, 'SignatureValue');
  if (!signedInfo || !valueEl) return { ok: false, problem: 'ds:SignedInfo or ds:SignatureValue is missing' };
  const cm = childNS(signedInfo, NS_DS, 'CanonicalizationMethod');
  const c14nAlg = cm?.getAttribute('Algorithm') ?? '';
  if (!C14N_ALGORITHMS.has(c14nAlg)) return { ok: false, problem: `unsupported SignedInfo canonicalization ${c14nAlg}` };
  const sigAlg = childNS(signedInfo, NS_DS, 'SignatureMethod')?.getAttribute('Algorithm') ?? '';
  const alg = SIGNATURE_ALG[sigAlg];
  if (!alg) return { ok: false, problem: `unsupported signature method ${sigAlg}` };
  if (publicKey.asymmetricKeyType !== alg.keyType) {
    return { ok: false, problem: `signature method ${sigAlg} does not fit the certificate's ${publicKey.asymmetricKeyType} key` };
  }
  const prefixes = c14nAlg === ALG_EXC_C14N || c14nAlg === ALG_EXC_C14N_COMMENTS ? inclusivePrefixes(cm!) : undefined;
  const data = Buffer.from(canonicalize(signedInfo, c14nAlg, prefixes ? { inclusivePrefixes: prefixes } : {}), 'utf8');
  const value = Buffer.from(textOf(valueEl).replace(/\s+/g, ''), 'base64');
  let ok: boolean;
  try {
    ok =
      alg.keyType === 'ec'
        ? nodeVerify(alg.hash, data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, value)
        : nodeVerify(alg.hash, data, publicKey, value);
  } catch (e) {
    return { ok: false, problem: `signature value cannot be checked: ${(e as Error).message}` };
  }
  return ok ? { ok } : { ok, problem: 'signature value does not verify with the signer certificate' };
}

/** Certificates (DER) in ds:KeyInfo/ds:X509Data, in document order. */
export function keyInfoCertificates(signature: Element): Buffer[] {
  const keyInfo = childNS(signature, NS_DS, 'KeyInfo');
  if (!keyInfo) return [];
  const out: Buffer[] = [];
  for (const data of childrenNS(keyInfo, NS_DS, 'X509Data')) {
    for (const c of childrenNS(data, NS_DS, 'X509Certificate')) out.push(Buffer.from(textOf(c).replace(/\s+/g, ''), 'base64'));
  }
  return out;
}
