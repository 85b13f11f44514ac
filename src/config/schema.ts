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
    /** Longest SMTP command line (the DATA content has `limits.max_line_bytes`). */
    max_command_line_bytes: number;
    /** Commands one session may send (0 = no limit). */
    max_commands_per_session: number;
    /** Concurrent sessions from one client address (0 = no limit). */
    max_connections_per_ip: number;
    /** Concurrent authenticated sessions of one account (0 = no limit). */
    max_connections_per_account: number;
  };
  imap: {
    port: number;
    tls_port: number;
    socket_timeout_ms: number;
    max_command_line_bytes: number;
    max_commands_per_session: number;
    max_connections_per_ip: number;
    max_connections_per_account: number;
  };
  api: { port: number };
  tsa: { url: string; timeout_ms: number };
  limits: {
    max_message_bytes: number;
    max_relay_message_bytes: number;
    /** Longest line of a submitted message, without its CRLF (RFC 5322 2.1.1: 998). */
    max_line_bytes: number;
    /** Fields in the top-level header of a submitted message. */
    max_header_fields: number;
    /** Bytes of the top-level header of a submitted message, blank line included. */
    max_header_bytes: number;
    /** MIME nesting of a submitted message (the message itself is level 1). */
    max_mime_depth: number;
    /** MIME entities in a submitted message, the message itself included. */
    max_mime_parts: number;
  };
  /** Failed-login limits (SMTP AUTH and IMAP LOGIN/AUTHENTICATE together). */
  auth: {
    /** Failures for one login name within `failure_window_ms` that lock it (0 = never). */
    max_failures_per_account: number;
    /** Failures from one client address within the window that lock the address (0 = never). */
    max_failures_per_ip: number;
    failure_window_ms: number;
    lockout_ms: number;
  };
  quota: { default_bytes: number };
  accounts: { closed_access_days: number };
  /**
   * frontend_nice: nice steps the thread serving SMTP and IMAP runs below the job threads
   * (daemon/thread-priority.ts); 0 keeps them equal.
   */
  jobs: { threads: number; concurrency: number; frontend_nice: number };
  store: {
    backend: 'embedded' | 'mongodb';
    mongodb_url: string;
    /** How often the daemon removes message files nothing references any more (0 = never). */
    sweep_interval_ms: number;
    /** Messages up to this size are stored inside the database, larger ones as files (embedded). */
    inline_blob_bytes: number;
  };
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
    smtp: {
      submission_port: 587,
      submissions_port: 465,
      relay_port: 25,
      max_recipients: 100,
      socket_timeout_ms: 300000,
      max_command_line_bytes: 4096,
      max_commands_per_session: 100000,
      max_connections_per_ip: 50,
      max_connections_per_account: 10,
    },
    imap: {
      port: 143,
      tls_port: 993,
      socket_timeout_ms: 1800000,
      max_command_line_bytes: 65536,
      max_commands_per_session: 100000,
      max_connections_per_ip: 50,
      max_connections_per_account: 20,
    },
    api: { port: 8080 },
    tsa: { url: '', timeout_ms: 10000 },
    limits: {
      max_message_bytes: 104857600,
      max_relay_message_bytes: 26214400,
      max_line_bytes: 998,
      max_header_fields: 500,
      max_header_bytes: 262144,
      max_mime_depth: 32,
      max_mime_parts: 1000,
    },
    auth: { max_failures_per_account: 5, max_failures_per_ip: 20, failure_window_ms: 900000, lockout_ms: 900000 },
    quota: { default_bytes: 104857600 },
    accounts: { closed_access_days: 90 },
    jobs: { threads: 1, concurrency: 48, frontend_nice: 4 },
    store: { backend: 'embedded', mongodb_url: '', sweep_interval_ms: 3600000, inline_blob_bytes: 262144 },
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
