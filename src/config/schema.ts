/**
 * The shape of kepd.toml. Keys are the TOML keys (snake_case) so that documentation,
 * files and KEPD_<SECTION>_<KEY> overrides all use one spelling.
 */
export interface ProviderPeer {
  name: string;
  domains: string[];
  /** host:port of their relay listener. */
  relay: string;
  /** CA of their provider (işlem) certificate, path relative to the data dir. */
  ca: string;
}

export interface KepdConfig {
  /** Absolute data directory (not a TOML key: it is where kepd.toml lives). */
  data_dir: string;
  domain: string;
  name: string;
  host: string;
  smtp: {
    submission_port: number;
    submissions_port: number;
    relay_port: number;
    max_recipients: number;
    socket_timeout_ms: number;
  };
  imap: { port: number; tls_port: number; socket_timeout_ms: number };
  api: { port: number };
  tsa: { url: string; timeout_ms: number };
  limits: { max_message_bytes: number; max_relay_message_bytes: number };
  quota: { default_bytes: number };
  store: { backend: 'embedded' | 'mongodb'; mongodb_url: string };
  redis: { url: string };
  pki: {
    ca: string;
    provider_cert: string;
    provider_key: string;
    tsa_cert: string;
    tsa_key: string;
    tls_cert: string;
    tls_key: string;
    trust_dir: string;
  };
  evidence: { policy_id: string; service_address: string };
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  providers: ProviderPeer[];
}

export type ConfigSection = Exclude<keyof KepdConfig, 'data_dir' | 'domain' | 'name' | 'host' | 'providers'>;

/** Defaults (interface.md); `domain`/`name` come from `kepd init`. */
export function defaultConfig(dataDir: string): KepdConfig {
  return {
    data_dir: dataDir,
    domain: '',
    name: 'kepd KEP provider',
    host: '127.0.0.1',
    smtp: { submission_port: 587, submissions_port: 465, relay_port: 25, max_recipients: 100, socket_timeout_ms: 300000 },
    imap: { port: 143, tls_port: 993, socket_timeout_ms: 1800000 },
    api: { port: 8080 },
    tsa: { url: '', timeout_ms: 10000 },
    limits: { max_message_bytes: 104857600, max_relay_message_bytes: 26214400 },
    quota: { default_bytes: 104857600 },
    store: { backend: 'embedded', mongodb_url: '' },
    redis: { url: '' },
    pki: {
      ca: 'pki/ca.pem',
      provider_cert: 'pki/provider.pem',
      provider_key: 'pki/provider.key.pem',
      tsa_cert: 'pki/tsa.pem',
      tsa_key: 'pki/tsa.key.pem',
      tls_cert: 'pki/tls.pem',
      tls_key: 'pki/tls.key.pem',
      trust_dir: 'pki/trust',
    },
    evidence: { policy_id: '', service_address: '' },
    log: { level: 'info' },
    providers: [],
  };
}
