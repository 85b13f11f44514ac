/** Namespace and algorithm URIs used by the TS 102 640-2 evidence and its XAdES signature. */

export const NS_REM = 'http://uri.etsi.org/02640/v2#';
export const NS_DS = 'http://www.w3.org/2000/09/xmldsig#';
export const NS_XADES = 'http://uri.etsi.org/01903/v1.3.2#';
/** kepd's own namespace for the Turkish KEP fields carried under rem:Extensions. */
export const NS_KEPD_EXT = 'urn:kepd:evidence-extension:1';

export const EVIDENCE_VERSION = '2.1.1';

export const ALG_EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
export const ALG_EXC_C14N_COMMENTS = 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments';
export const ALG_C14N = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';
export const ALG_C14N_COMMENTS = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments';
export const ALG_ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
export const ALG_XPATH_FILTER2 = 'http://www.w3.org/2002/06/xmldsig-filter2';

export const ALG_SHA1 = 'http://www.w3.org/2000/09/xmldsig#sha1';
export const ALG_SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
export const ALG_SHA384 = 'http://www.w3.org/2001/04/xmldsig-more#sha384';
export const ALG_SHA512 = 'http://www.w3.org/2001/04/xmlenc#sha512';

export const ALG_ECDSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256';
export const ALG_ECDSA_SHA384 = 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384';
export const ALG_ECDSA_SHA512 = 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512';
export const ALG_RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
export const ALG_RSA_SHA384 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384';
export const ALG_RSA_SHA512 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512';

export const TYPE_SIGNED_PROPERTIES = 'http://uri.etsi.org/01903#SignedProperties';

/** node:crypto hash names for the digest URIs we accept; SHA-1 only to report it as weak. */
export const DIGEST_HASH: Readonly<Record<string, string>> = {
  [ALG_SHA1]: 'sha1',
  [ALG_SHA256]: 'sha256',
  [ALG_SHA384]: 'sha384',
  [ALG_SHA512]: 'sha512',
};

/** node:crypto parameters for the signature URIs we accept. */
export const SIGNATURE_ALG: Readonly<Record<string, { hash: string; keyType: 'ec' | 'rsa' }>> = {
  [ALG_ECDSA_SHA256]: { hash: 'sha256', keyType: 'ec' },
  [ALG_ECDSA_SHA384]: { hash: 'sha384', keyType: 'ec' },
  [ALG_ECDSA_SHA512]: { hash: 'sha512', keyType: 'ec' },
  [ALG_RSA_SHA256]: { hash: 'sha256', keyType: 'rsa' },
  [ALG_RSA_SHA384]: { hash: 'sha384', keyType: 'rsa' },
  [ALG_RSA_SHA512]: { hash: 'sha512', keyType: 'rsa' },
};
