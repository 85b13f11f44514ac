/**
 * ENVELOPE and BODYSTRUCTURE hold decoded (UTF-8) text. A client that did not ENABLE
 * UTF8=ACCEPT gets it back as RFC 2047 encoded words and ASCII domains. Returns new trees:
 * the cached ones are shared between concurrent fetches.
 */
import { domainToASCII } from 'node:url';
import { encodeWords } from 'nodemailer/lib/mime-funcs';

function text(value: unknown): string {
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

function encoded(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  return encodeWords(text(value), 'Q', 0);
}

export function renderStructure(tree: unknown[], utf8: boolean): unknown[] {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node !== null && typeof node === 'object') return utf8 ? node : encoded(node);
    return node;
  };
  return walk(tree) as unknown[];
}

export function renderEnvelope(envelope: unknown[], utf8: boolean): unknown[] {
  const out = envelope.slice();
  // In-Reply-To and Message-ID are single strings even if a header repeated
  for (const index of [8, 9]) {
    const v = out[index];
    if (Array.isArray(v)) out[index] = v[v.length - 1] ?? null;
  }
  if (utf8) return out;
  out[1] = out[1] === null || out[1] === undefined ? null : encoded(out[1]);
  for (let i = 2; i < 8; i++) {
    const list = out[i];
    if (!Array.isArray(list)) continue;
    out[i] = list.map((addr: unknown) => {
      if (!Array.isArray(addr)) return addr;
      const [name, route, user, domain] = addr as unknown[];
      return [
        name ? encoded(name) : name ?? null,
        route ?? null,
        user && typeof user === 'object' ? encoded(user) : user ?? null,
        domain && typeof domain === 'object' ? domainToASCII(text(domain)) || text(domain) : domain ?? null,
      ];
    });
  }
  return out;
}
