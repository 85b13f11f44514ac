/**
 * Test PKI for the evidence tests: the development PKI (root CA + TSA) from src/pki, plus
 * provider signing certificates issued by that CA with the stock `openssl` tool. Those carry
 * 8-byte serial numbers: libxml2 2.9 (xmllint) validates xs:integer only up to 24 digits, so
 * the 16-byte serials of the development PKI make ds:X509SerialNumber fail xmllint.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDevPki } from '../../src/pki/dev-pki';
import { identityFromPem, loadSigningIdentity } from '../../src/pki/identity';
import { pemToDerList } from '../../src/pki/pem';
import type { SigningIdentity } from '../../src/pki/types';
import { BuiltInTsa } from '../../src/timestamp/built-in-tsa';
import { tempDir, tool } from './evidence-fixtures';

export interface EvidencePki {
  dir: string;
  caPem: string;
  tsaPem: string;
  caDer: Buffer;
  /** Provider identity from the development PKI (16-byte serial). */
  devProvider: SigningIdentity;
  /** EC P-256 provider identity with a short serial, issued by the same CA with openssl. */
  provider: SigningIdentity;
  providerPem: string;
  /** RSA-2048 provider identity, same CA. */
  rsaProvider: SigningIdentity;
  /** EC provider identity issued by an intermediate CA under the root (chainDer = [intermediate]). */
  chainedProvider: SigningIdentity;
  tsa: BuiltInTsa;
  tsaIdentity: SigningIdentity;
  cleanup(): void;
}

async function must(cmd: string, args: string[], cwd: string): Promise<void> {
  const r = await tool(cmd, args, { cwd });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}

interface IssueSpec {
  /** Issuer certificate and key file names in `dir`; default the development root CA. */
  issuer?: { cert: string; key: string };
  ca?: boolean;
}

async function issueWithOpenssl(dir: string, name: string, keyArgs: string[], spec: IssueSpec = {}): Promise<{ identity: SigningIdentity; pem: string }> {
  await must('openssl', ['genpkey', ...keyArgs, '-out', `${name}.key.pem`], dir);
  await must('openssl', ['req', '-new', '-key', `${name}.key.pem`, '-subj', `/CN=Test KEPHS ${name}/O=Test KEPHS`, '-out', `${name}.csr`], dir);
  const serial = randomBytes(8);
  serial[0] = (serial[0]! & 0x7f) | 0x10;
  const ext = (
    spec.ca
      ? ['basicConstraints=critical,CA:TRUE,pathlen:0', 'keyUsage=critical,keyCertSign,cRLSign']
      : [
          'basicConstraints=critical,CA:FALSE',
          'keyUsage=critical,digitalSignature,nonRepudiation',
          'extendedKeyUsage=emailProtection',
          'subjectAltName=email:kep@kep.example',
        ]
  )
    .concat(['subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid'])
    .join('\n');
  const issuer = spec.issuer ?? { cert: 'ca.pem', key: 'ca.key.pem' };
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ext + '\n');
  await must(
    'openssl',
    ['x509', '-req', '-in', `${name}.csr`, '-CA', issuer.cert, '-CAkey', issuer.key, '-set_serial', '0x' + serial.toString('hex'), '-days', '30', '-sha256', '-extfile', extFile, '-out', `${name}.pem`],
    dir,
  );
  const pem = join(dir, `${name}.pem`);
  // The issuer's certificate follows the leaf, so the identity carries it as its chain.
  const chain = spec.issuer ? readFileSync(join(dir, spec.issuer.cert)) : Buffer.alloc(0);
  return { identity: identityFromPem(Buffer.concat([readFileSync(pem), chain]), readFileSync(join(dir, `${name}.key.pem`))), pem };
}

export async function createEvidencePki(providerName = 'Test KEPHS'): Promise<EvidencePki> {
  const tmp = tempDir('kepd-evidence-pki-');
  const dir = tmp.dir;
  await ensureDevPki({ pkiDir: dir, domain: 'kep.example', providerName, serviceAddress: 'kep@kep.example' });
  const ec = await issueWithOpenssl(dir, 'signer-ec', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  const rsa = await issueWithOpenssl(dir, 'signer-rsa', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']);
  const ecKey = ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  await issueWithOpenssl(dir, 'intermediate', ecKey, { ca: true });
  const chained = await issueWithOpenssl(dir, 'signer-chained', ecKey, { issuer: { cert: 'intermediate.pem', key: 'intermediate.key.pem' } });
  const tsaIdentity = loadSigningIdentity(join(dir, 'tsa.pem'), join(dir, 'tsa.key.pem'));
  return {
    dir,
    caPem: join(dir, 'ca.pem'),
    tsaPem: join(dir, 'tsa.pem'),
    caDer: pemToDerList(readFileSync(join(dir, 'ca.pem')))[0]!,
    devProvider: loadSigningIdentity(join(dir, 'provider.pem'), join(dir, 'provider.key.pem')),
    provider: ec.identity,
    providerPem: ec.pem,
    rsaProvider: rsa.identity,
    chainedProvider: chained.identity,
    tsa: new BuiltInTsa(tsaIdentity),
    tsaIdentity,
    cleanup: () => tmp.cleanup(),
  };
}
