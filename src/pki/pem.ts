/** PEM <-> DER (RFC 7468). A PEM file may hold several blocks (a certificate chain). */
import { CertificateFormatError } from './errors';

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

export interface PemBlock {
  label: string;
  der: Buffer;
}

export function pemBlocks(pem: string | Buffer): PemBlock[] {
  const text = typeof pem === 'string' ? pem : pem.toString('latin1');
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const body = m[2].replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) {
      throw new CertificateFormatError(`PEM block "${m[1]}" has invalid base64`);
    }
    blocks.push({ label: m[1], der: Buffer.from(body, 'base64') });
  }
  return blocks;
}

/** DER of every block with the label (default CERTIFICATE), in file order. */
export function pemToDerList(pem: string | Buffer, label = 'CERTIFICATE'): Buffer[] {
  return pemBlocks(pem)
    .filter((b) => b.label === label)
    .map((b) => b.der);
}

export function derToPem(der: Buffer, label = 'CERTIFICATE'): string {
  const b64 = der.toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Certificates from PEM text (any number) or a single DER certificate. */
export function certificatesFromFile(bytes: Buffer): Buffer[] {
  if (bytes.length > 0 && bytes[0] === 0x30) return [Buffer.from(bytes)];
  const ders = pemToDerList(bytes);
  if (ders.length === 0) throw new CertificateFormatError('no CERTIFICATE block found');
  return ders;
}
