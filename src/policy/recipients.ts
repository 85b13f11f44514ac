/** Which recipients are KEP addresses, and where they live (pure; no I/O). */
import type { KepdConfig, ProviderPeer } from '../config';

export type RecipientRoute = { kind: 'local' } | { kind: 'remote'; provider: ProviderPeer } | { kind: 'not-kep' };

export function routeRecipient(address: string, config: Pick<KepdConfig, 'domain' | 'providers'>): RecipientRoute {
  const at = address.lastIndexOf('@');
  const domain = at >= 0 ? address.slice(at + 1).toLowerCase() : '';
  if (domain === config.domain) return { kind: 'local' };
  const provider = config.providers.find((p) => p.domains.includes(domain));
  return provider ? { kind: 'remote', provider } : { kind: 'not-kep' };
}

/** The size limit for a transaction: lower when any recipient is on another provider. */
export function sizeLimitFor(
  routes: RecipientRoute[],
  limits: KepdConfig['limits'],
): { limit: number; relay: boolean } {
  const relay = routes.some((r) => r.kind === 'remote');
  return { limit: relay ? limits.max_relay_message_bytes : limits.max_message_bytes, relay };
}
