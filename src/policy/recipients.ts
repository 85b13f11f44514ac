/** Which recipients are KEP addresses, and where they live (pure; no I/O). */
import type { KepdConfig, ProviderPeer } from '../config';
import { ReasonCode } from '../evidence/reasons';

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

/**
 * Why a local recipient cannot be delivered to (the dispatch job's NonDelivery evidence), or
 * undefined when it can. Over quota is no reason: incoming KEP is never refused for that.
 */
export function deliveryRefusal(
  address: string,
  account: { state: 'pending' | 'active' | 'closed' } | undefined,
): { code: ReasonCode; details: string } | undefined {
  if (!account) return { code: ReasonCode.UnknownRecipient, details: `<${address}> is not a KEP account of this provider` };
  if (account.state === 'closed') return { code: ReasonCode.UnknownRecipient, details: `<${address}> is a closed KEP account and receives no messages` };
  if (account.state === 'pending') return { code: ReasonCode.UnknownRecipient, details: `<${address}> is not activated yet and receives no messages` };
  return undefined;
}
