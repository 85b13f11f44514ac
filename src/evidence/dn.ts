/**
 * RFC 4514 string form of an X.509 name, for ds:X509IssuerName. Attributes arrive in DER
 * order (most general first); RFC 4514 writes them most specific first.
 */
import type { NameAttribute } from '../pki/certs';

const RFC4514_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
};

export function rfc4514Name(attrs: readonly NameAttribute[]): string {
  return [...attrs]
    .reverse()
    .map((a) => `${RFC4514_NAMES[a.oid] ?? a.oid}=${escapeValue(a.value)}`)
    .join(',');
}

function escapeValue(v: string): string {
  let s = v
    .replace(/[\\"+,;<>]/g, (c) => '\\' + c)
    // Controls as hex pairs: RFC 4514 allows it, and XML 1.0 cannot carry most of them.
    .replace(/[\u0000-\u001f\u007f]/g, (c) => '\\' + c.charCodeAt(0).toString(16).padStart(2, '0'));
  if (s.startsWith(' ') || s.startsWith('#')) s = '\\' + s;
  if (s.endsWith(' ') && s.length > 1) s = s.slice(0, -1) + '\\ ';
  return s;
}
