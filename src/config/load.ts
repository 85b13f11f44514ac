/** Loads DIR/kepd.toml over the defaults, applies KEPD_* environment overrides, validates. */
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { ConfigError } from '../errors';
import { dataPaths } from './paths';
import { defaultConfig, type KepdConfig, type ProviderPeer } from './schema';

type Plain = Record<string, unknown>;

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Coerces `value` to the type of `template`, or throws a ConfigError naming `key`. */
function coerce(key: string, template: unknown, value: unknown, fromEnv: boolean): unknown {
  if (typeof template === 'number') {
    const n = typeof value === 'string' && fromEnv ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw new ConfigError(`${key}: expected a non-negative integer, got ${JSON.stringify(value)}`);
    }
    return n;
  }
  if (typeof template === 'boolean') {
    if (typeof value === 'boolean') return value;
    if (fromEnv && /^(true|false|1|0)$/i.test(String(value))) return /^(true|1)$/i.test(String(value));
    throw new ConfigError(`${key}: expected true or false, got ${JSON.stringify(value)}`);
  }
  if (typeof template === 'string') {
    if (typeof value !== 'string') throw new ConfigError(`${key}: expected a string, got ${JSON.stringify(value)}`);
    return value;
  }
  throw new ConfigError(`${key}: cannot be set this way`);
}

function mergeSection(name: string, target: Plain, source: unknown): void {
  if (!isPlain(source)) throw new ConfigError(`[${name}] must be a table`);
  for (const [k, v] of Object.entries(source)) {
    if (!(k in target)) throw new ConfigError(`unknown key ${name}.${k} (see config/default.toml)`);
    target[k] = coerce(`${name}.${k}`, target[k], v, false);
  }
}

function parseProviders(value: unknown): ProviderPeer[] {
  if (!Array.isArray(value)) throw new ConfigError('[[providers]] must be an array of tables');
  return value.map((p, i) => {
    const where = `providers[${i}]`;
    if (!isPlain(p)) throw new ConfigError(`${where} must be a table`);
    const { name, domains, relay, ca } = p;
    if (typeof name !== 'string' || !name) throw new ConfigError(`${where}.name: required string`);
    if (!Array.isArray(domains) || domains.length === 0 || !domains.every((d) => typeof d === 'string' && d)) {
      throw new ConfigError(`${where}.domains: required non-empty array of domain names`);
    }
    if (typeof relay !== 'string' || !/^[^:\s]+:\d+$/.test(relay)) throw new ConfigError(`${where}.relay: expected "host:port"`);
    if (typeof ca !== 'string' || !ca) throw new ConfigError(`${where}.ca: required path to their CA certificate`);
    return { name, domains: (domains as string[]).map((d) => d.toLowerCase()), relay, ca };
  });
}

const TOP_LEVEL_STRINGS = ['domain', 'name', 'host'] as const;

export function applyToml(config: KepdConfig, toml: Plain): void {
  const target = config as unknown as Plain;
  for (const [k, v] of Object.entries(toml)) {
    if ((TOP_LEVEL_STRINGS as readonly string[]).includes(k)) {
      target[k] = coerce(k, '', v, false);
    } else if (k === 'providers') {
      config.providers = parseProviders(v);
    } else if (isPlain(target[k]) && k !== 'data_dir') {
      mergeSection(k, target[k] as Plain, v);
    } else {
      throw new ConfigError(`unknown key ${k} (see config/default.toml)`);
    }
  }
}

/** KEPD_<SECTION>_<KEY>, e.g. KEPD_SMTP_SUBMISSION_PORT; KEPD_DOMAIN for top-level keys. */
export function applyEnv(config: KepdConfig, env: NodeJS.ProcessEnv): void {
  const target = config as unknown as Plain;
  for (const k of TOP_LEVEL_STRINGS) {
    const v = env[`KEPD_${k.toUpperCase()}`];
    if (v !== undefined) target[k] = v;
  }
  for (const [section, value] of Object.entries(target)) {
    if (!isPlain(value)) continue;
    for (const key of Object.keys(value)) {
      const envName = `KEPD_${section.toUpperCase()}_${key.toUpperCase()}`;
      const v = env[envName];
      if (v !== undefined) value[key] = coerce(envName, value[key], v, true);
    }
  }
}

export function validate(config: KepdConfig): void {
  if (!config.domain || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(config.domain)) {
    throw new ConfigError(`domain: "${config.domain}" is not a valid lower-case domain name`);
  }
  for (const [k, v] of Object.entries({ ...config.smtp, ...config.imap, api: config.api.port })) {
    if (k.endsWith('port') || k === 'api') {
      if ((v as number) > 65535) throw new ConfigError(`${k}: ${v} is not a TCP port`);
    }
  }
  if (config.limits.max_relay_message_bytes > config.limits.max_message_bytes) {
    throw new ConfigError('limits.max_relay_message_bytes must not exceed limits.max_message_bytes');
  }
  validateLimits(config);
  if (config.store.backend !== 'embedded' && config.store.backend !== 'mongodb') {
    throw new ConfigError(`store.backend: "${config.store.backend}" is not one of embedded, mongodb`);
  }
  if (config.store.backend === 'mongodb' && !config.store.mongodb_url) {
    throw new ConfigError('store.mongodb_url is required when store.backend = "mongodb"');
  }
  if (config.tsa.url && !/^https?:\/\//.test(config.tsa.url)) throw new ConfigError('tsa.url must be an http(s) URL or empty');
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  if (!levels.includes(config.log.level)) throw new ConfigError(`log.level must be one of ${levels.join(', ')}`);
  const own = config.domain;
  for (const p of config.providers) {
    if (p.domains.includes(own)) throw new ConfigError(`providers "${p.name}" lists our own domain ${own}`);
  }
}

/** Lower bounds below which a limit would refuse ordinary, standard-conforming traffic. */
function validateLimits(config: KepdConfig): void {
  const atLeast = (key: string, value: number, min: number, why: string): void => {
    if (value < min) throw new ConfigError(`${key}: ${value} is below ${min} (${why})`);
  };
  atLeast('smtp.max_command_line_bytes', config.smtp.max_command_line_bytes, 512, 'RFC 5321 command lines may be 512 octets');
  atLeast('imap.max_command_line_bytes', config.imap.max_command_line_bytes, 1000, 'IMAP clients send long UID sets');
  atLeast('limits.max_line_bytes', config.limits.max_line_bytes, 78, 'RFC 5322 recommends lines of 78 characters');
  atLeast('limits.max_header_fields', config.limits.max_header_fields, 1, 'a message needs at least From');
  atLeast('limits.max_header_bytes', config.limits.max_header_bytes, 1024, 'headers of signed messages are a few KB');
  atLeast('limits.max_mime_depth', config.limits.max_mime_depth, 2, 'a multipart/signed message has two levels');
  atLeast('limits.max_mime_parts', config.limits.max_mime_parts, 3, 'a multipart/signed message has three entities');
  atLeast('jobs.concurrency', config.jobs.concurrency, 1, 'with no job at a time nothing is ever delivered');
  atLeast('jobs.threads', config.jobs.threads, 0, '0 runs the jobs on the main thread');
  if (!Number.isInteger(config.jobs.threads) || config.jobs.threads > 16) throw new ConfigError(`jobs.threads: ${config.jobs.threads} is not a whole number from 0 to 16`);
  const nice = config.jobs.frontend_nice;
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new ConfigError(`jobs.frontend_nice: ${nice} is not a whole number from 0 to 19 (nice steps)`);
  if (config.auth.max_failures_per_account > 0 || config.auth.max_failures_per_ip > 0) {
    atLeast('auth.failure_window_ms', config.auth.failure_window_ms, 1, 'failures are counted over this window');
    atLeast('auth.lockout_ms', config.auth.lockout_ms, 1, 'a lockout must last some time');
  }
}

/** Loads the configuration of a data directory. */
export function loadConfig(dataDir: string, env: NodeJS.ProcessEnv = process.env): KepdConfig {
  const paths = dataPaths(dataDir);
  if (!existsSync(paths.root)) {
    throw new ConfigError(`data directory ${paths.root} does not exist (create it with: kepd init --data ${dataDir} --domain DOMAIN)`);
  }
  if (!existsSync(paths.configFile)) {
    throw new ConfigError(`${paths.configFile} not found (run: kepd init --data ${dataDir} --domain DOMAIN)`);
  }
  let toml: Plain;
  try {
    toml = parseToml(readFileSync(paths.configFile, 'utf8')) as Plain;
  } catch (e) {
    throw new ConfigError(`${paths.configFile}: ${(e as Error).message}`);
  }
  const config = defaultConfig(paths.root);
  applyToml(config, toml);
  applyEnv(config, env);
  if (!config.evidence.service_address) config.evidence.service_address = `kep@${config.domain}`;
  validate(config);
  return config;
}
