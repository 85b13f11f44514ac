/**
 * Everything the engine needs at run time, wired once from the configuration: store, signing
 * identities, time-stamper, evidence signer, REM signer and the user trust store.
 */
import { readFileSync } from 'node:fs';
import { LoginGuard } from '../accounts/login-guard';
import type { KepdConfig } from '../config';
import { resolveInData } from '../config';
import { EvidenceSigner } from '../evidence';
import type { Logger } from '../log';
import { pemToDerList } from '../pki/pem';
import { loadSigningIdentity } from '../pki/identity';
import { signDetachedCades } from '../pki/cms-sign';
import { TrustStore } from '../pki/trust-store';
import type { SigningIdentity, TimeStamper } from '../pki/types';
import type { RemSigner } from '../rem/signed';
import { createStore, type StoreThreadOptions } from '../store';
import type { MailStore } from '../store/types';
import { createTimeStamper } from '../timestamp';

export interface Runtime {
  config: KepdConfig;
  logger: Logger;
  store: MailStore;
  now: () => Date;
  provider: SigningIdentity;
  timeStamper: TimeStamper;
  evidenceSigner: EvidenceSigner;
  remSigner: RemSigner;
  /** CAs trusted for users' S/MIME signatures (`kepd trust add`), reloaded on change. */
  userTrust: TrustStore;
  /** Our own root (DER): anchors the provider and TSA certificates when we verify our output. */
  providerTrustAnchors: Buffer[];
  /** Failed-login limits and the login audit trail, shared by SMTP and IMAP. */
  loginGuard: LoginGuard;
}

export interface RuntimeOptions {
  now?: () => Date;
  /** Inject a time-stamper (tests: an unreachable TSA). */
  timeStamper?: TimeStamper;
  store?: MailStore;
  /** This thread's store connection: who checkpoints the WAL, whether long writes give way. */
  storeThread?: StoreThreadOptions;
}

export async function createRuntime(config: KepdConfig, logger: Logger, options: RuntimeOptions = {}): Promise<Runtime> {
  const inData = (p: string): string => resolveInData(config.data_dir, p);
  const provider = loadSigningIdentity(inData(config.pki.provider_cert), inData(config.pki.provider_key));
  const tsaIdentity = loadSigningIdentity(inData(config.pki.tsa_cert), inData(config.pki.tsa_key));
  const providerTrustAnchors = pemToDerList(readFileSync(inData(config.pki.ca), 'utf8'));
  const timeStamper =
    options.timeStamper ??
    createTimeStamper({
      url: config.tsa.url,
      timeoutMs: config.tsa.timeout_ms,
      builtIn: tsaIdentity,
      trustAnchors: providerTrustAnchors,
    });
  const store = options.store ?? (await createStore(config, logger, options.storeThread));
  const remSigner: RemSigner = {
    signDigest: (sha256) => signDetachedCades({ contentDigest: sha256, identity: provider, timeStamper }),
  };
  const now = options.now ?? (() => new Date());
  const loginGuard = new LoginGuard({
    limits: {
      maxFailuresPerAccount: config.auth.max_failures_per_account,
      maxFailuresPerAddress: config.auth.max_failures_per_ip,
      windowMs: config.auth.failure_window_ms,
      lockoutMs: config.auth.lockout_ms,
    },
    audit: store.loginAudit,
    logger,
    now,
  });
  return {
    config,
    logger,
    store,
    now,
    provider,
    timeStamper,
    evidenceSigner: new EvidenceSigner({ identity: provider, timeStamper }),
    remSigner,
    userTrust: new TrustStore(inData(config.pki.trust_dir)),
    providerTrustAnchors,
    loginGuard,
  };
}
