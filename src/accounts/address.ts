/**
 * KEP address rules (kep-rem.md §8.3): ASCII, lower case. Persons `ad.soyad[.N]@domain`;
 * legal entities `<MERSIS no | entity name>[.free part]@domain`. Turkish letters are refused with
 * a transliteration hint rather than silently changed: the holder must agree to the spelling.
 */
import { UsageError } from '../errors';
import type { AccountType } from '../store/types';

const TURKISH: Record<string, string> = {
  ç: 'c', Ç: 'c', ğ: 'g', Ğ: 'g', ı: 'i', İ: 'i', ö: 'o', Ö: 'o', ş: 's', Ş: 's', ü: 'u', Ü: 'u',
};

export class InvalidAddressError extends UsageError {
  override readonly name: string = 'InvalidAddressError';
}

/** Transliterates Turkish letters to their ASCII counterparts (used for hints). */
export function transliterate(s: string): string {
  return s.replace(/[çÇğĞıİöÖşŞüÜ]/g, (c) => TURKISH[c] ?? c).toLowerCase();
}

export interface ParsedAddress {
  local: string;
  domain: string;
  address: string;
}

const LABEL = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const PERSON_LOCAL = /^[a-z]+(?:-[a-z]+)*\.[a-z]+(?:-[a-z]+)*(?:\.[1-9][0-9]{0,3})?$/;
/** Entity: MERSIS number (16 digits) or a name; optional free part; dot/hyphen separated labels. */
const ENTITY_LOCAL = /^(?:[0-9]{16}|[a-z][a-z0-9]*(?:-[a-z0-9]+)*)(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)*$/;

/** Syntax shared by every KEP address; returns the normalised (lower-case) parts. */
export function parseAddress(input: string): ParsedAddress {
  const raw = input.trim();
  if (/[^\x20-\x7e]/.test(raw)) {
    const hint = transliterate(raw);
    throw new InvalidAddressError(
      /[çÇğĞıİöÖşŞüÜ]/.test(raw)
        ? `"${raw}" contains Turkish letters; KEP addresses are ASCII only (did you mean "${hint}"?)`
        : `"${raw}" contains characters outside ASCII; KEP addresses are ASCII only`,
    );
  }
  const at = raw.lastIndexOf('@');
  if (at <= 0 || at === raw.length - 1 || raw.indexOf('@') !== at) {
    throw new InvalidAddressError(`"${raw}" is not an address of the form name@domain`);
  }
  const local = raw.slice(0, at).toLowerCase();
  const domain = raw.slice(at + 1).toLowerCase();
  if (local.length > 64) throw new InvalidAddressError(`"${raw}": the part before @ is longer than 64 characters`);
  if (!domain.includes('.') || !domain.split('.').every((l) => LABEL.test(l))) {
    throw new InvalidAddressError(`"${raw}": "${domain}" is not a valid domain name`);
  }
  return { local, domain, address: `${local}@${domain}` };
}

/** Validates an address for a new account of `type` on `ownDomain`. */
export function validateAccountAddress(input: string, type: AccountType, ownDomain: string): ParsedAddress {
  const parsed = parseAddress(input);
  if (parsed.domain !== ownDomain.toLowerCase()) {
    throw new InvalidAddressError(`"${parsed.address}" is not on this provider's domain ${ownDomain}`);
  }
  if (type === 'person' && !PERSON_LOCAL.test(parsed.local)) {
    throw new InvalidAddressError(
      `"${parsed.address}": a person's KEP address is ad.soyad[.N]@${ownDomain} (letters, one dot between name and surname, optional number)`,
    );
  }
  if (type === 'entity' && !ENTITY_LOCAL.test(parsed.local)) {
    throw new InvalidAddressError(
      `"${parsed.address}": a legal entity's KEP address is <MERSIS no | entity name>[.free part]@${ownDomain} (letters, digits, dots, hyphens)`,
    );
  }
  return parsed;
}
