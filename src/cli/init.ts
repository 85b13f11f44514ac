/** `kepd init`: a data directory with kepd.toml and a development PKI. Safe to run twice. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dataPaths, loadConfig } from '../config';
import { UsageError } from '../errors';
import { ensureDevPki } from '../pki/dev-pki';

export interface InitResult {
  configCreated: boolean;
  pkiCreated: string[];
  dataDir: string;
  /** The domain in effect (an existing kepd.toml wins over --domain). */
  domain: string;
}

const DOMAIN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;

function tomlString(s: string): string {
  return JSON.stringify(s);
}

export async function initDataDir(dataDir: string, domain: string, name?: string): Promise<InitResult> {
  const d = domain.trim().toLowerCase();
  if (!DOMAIN.test(d)) throw new UsageError(`"${domain}" is not a valid domain name (e.g. kep.example.com.tr)`);
  const paths = dataPaths(dataDir);
  mkdirSync(paths.root, { recursive: true, mode: 0o750 });
  const providerName = name?.trim() || `${d} KEP Hizmet Sağlayıcısı`;
  let configCreated = false;
  if (!existsSync(paths.configFile)) {
    writeFileSync(
      paths.configFile,
      [
        '# kepd configuration. Every key, its default and meaning: config/default.toml in the kepd sources.',
        '# Any key can be overridden with KEPD_<SECTION>_<KEY>, e.g. KEPD_SMTP_SUBMISSION_PORT=2587.',
        `domain = ${tomlString(d)}`,
        `name = ${tomlString(providerName)}`,
        '',
      ].join('\n'),
      { flag: 'wx', mode: 0o640 },
    );
    configCreated = true;
  }
  // An existing configuration is never rewritten; the PKI follows what it says.
  const config = loadConfig(paths.root, {});
  const pki = await ensureDevPki({
    pkiDir: paths.pkiDir,
    domain: config.domain,
    providerName: config.name,
    serviceAddress: config.evidence.service_address,
  });
  return { configCreated, pkiCreated: pki.created, dataDir: paths.root, domain: config.domain };
}
