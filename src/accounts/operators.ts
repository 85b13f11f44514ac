/**
 * Authorised operators (işlem yetkilisi) of legal-entity accounts (kep-rem.md §8.2): each logs
 * in with their own login and password, acts for the entity, and signs with the certificate
 * registered here — the only one accepted from them. Removing one ends their access at once.
 */
import { ConflictError, NotFoundError, UsageError } from '../errors';
import { allowsExtendedKeyUsage, isValidAt, parseCertificate, type CertificateInfo } from '../pki/certs';
import { ChainError, validateChain } from '../pki/chain';
import { CertificateFormatError } from '../pki/errors';
import { OID } from '../pki/oids';
import { certificatesFromFile } from '../pki/pem';
import { normaliseNationalId } from '../policy/signer';
import type { MailStore, OperatorRecord } from '../store/types';
import { transliterate } from './address';
import type { ChangeContext } from './lifecycle';
import { requireAccount } from './lifecycle';
import { hashPassword } from './password';
import { assertPassword } from './service';

/** Lower-case letters, digits and . _ - + @, starting and ending with a letter or digit. */
const LOGIN = /^[a-z0-9](?:[a-z0-9._+@-]{1,126}[a-z0-9])$/;

export function validateOperatorLogin(input: string): string {
  const login = input.trim();
  if (/[^\x20-\x7e]/.test(login)) {
    const hint = /[çÇğĞıİöÖşŞüÜ]/.test(login) ? ` (did you mean "${transliterate(login)}"?)` : '';
    throw new UsageError(`operator login "${login}" must be ASCII${hint}`);
  }
  const lower = login.toLowerCase();
  if (!LOGIN.test(lower)) {
    throw new UsageError(`operator login "${login}" must be 3-128 characters: letters, digits and . _ - + @, starting and ending with a letter or digit`);
  }
  return lower;
}

export interface AddOperatorInput {
  entityAddress: string;
  login: string;
  password: string;
  /** The operator's signing certificate, PEM or DER (the first certificate is taken). */
  certificate: Buffer;
  /** The operator's own national id; defaults to the certificate's subject serialNumber. */
  nationalId?: string;
}

export interface OperatorCheck {
  /** DER of the CAs trusted for user signatures: the certificate must chain to one. */
  trustAnchors: Buffer[];
  at: Date;
}

function operatorCertificate(bytes: Buffer, check: OperatorCheck): CertificateInfo {
  let cert: CertificateInfo;
  try {
    cert = parseCertificate(certificatesFromFile(bytes)[0]!);
  } catch (e) {
    if (e instanceof CertificateFormatError) throw new UsageError(`the operator certificate is not usable: ${e.message}`);
    throw e;
  }
  if (cert.isCA) throw new UsageError('the operator certificate is a CA certificate, not a signing certificate');
  if (!isValidAt(cert, check.at)) {
    throw new UsageError(`the operator certificate is not valid now (valid ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()})`);
  }
  if (!allowsExtendedKeyUsage(cert, OID.emailProtection)) throw new UsageError('the operator certificate does not allow S/MIME signing (emailProtection)');
  try {
    validateChain(cert, { trustAnchors: check.trustAnchors, at: check.at });
  } catch (e) {
    if (e instanceof ChainError) throw new UsageError(`the operator certificate is not trusted for user signatures (${e.message}); see kepd trust add`);
    throw e;
  }
  return cert;
}

export async function addOperator(store: MailStore, input: AddOperatorInput, check: OperatorCheck, ctx: ChangeContext): Promise<OperatorRecord> {
  const account = await requireAccount(store, input.entityAddress);
  if (account.type !== 'entity') throw new UsageError(`<${account.address}> is a person's account: operators act for legal-entity accounts`);
  if (account.state === 'closed') throw new UsageError(`<${account.address}> is closed: reopen it before adding operators`);
  const login = validateOperatorLogin(input.login);
  // the store refuses these atomically too; asking first gives the clearer message
  if (await store.operators.getByLogin(login)) throw new ConflictError(`operator login ${login} is already in use (logins are never reused)`);
  if (await store.accounts.getByAddress(login)) throw new ConflictError(`${login} is a KEP address and cannot be an operator login`);
  assertPassword(input.password);
  if (input.nationalId !== undefined && !/^[0-9]{11}$/.test(input.nationalId)) {
    throw new UsageError(`national id "${input.nationalId}" must be the operator's 11-digit TC kimlik no`);
  }
  const cert = operatorCertificate(input.certificate, check);
  const nationalId = input.nationalId ?? (cert.subjectSerialNumber ? normaliseNationalId(cert.subjectSerialNumber) : undefined);
  const active = await store.operators.list(account.id);
  const twin = active.find((o) => o.certificateDer.equals(cert.der));
  if (twin) throw new ConflictError(`this certificate is already registered for operator ${twin.login} of <${account.address}>`);
  return store.operators.add(
    {
      accountId: account.id,
      login,
      passwordHash: await hashPassword(input.password),
      certificateDer: cert.der,
      nationalId,
      name: cert.commonName,
    },
    { actor: ctx.actor, at: ctx.now?.() },
  );
}

export async function removeOperator(store: MailStore, entityAddress: string, login: string, ctx: ChangeContext): Promise<OperatorRecord> {
  const account = await requireAccount(store, entityAddress);
  const name = login.trim().toLowerCase();
  const active = (await store.operators.list(account.id)).find((o) => o.login === name);
  if (!active) throw new NotFoundError(`<${account.address}> has no active operator "${name}"`);
  return store.operators.remove(account.id, name, { actor: ctx.actor, at: ctx.now?.() });
}

/** The active operator `login` of the account, if there is one. */
export async function activeOperator(store: MailStore, accountId: string, login: string): Promise<OperatorRecord | undefined> {
  const op = await store.operators.getByLogin(login);
  return op && op.accountId === accountId && !op.removedAt ? op : undefined;
}
