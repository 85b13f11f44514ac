import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { defaultConfig, loadConfig } from '../../src/config';
import { ConfigError } from '../../src/errors';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kepd-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(toml: string): void {
  writeFileSync(join(dir, 'kepd.toml'), toml);
}

test('defaults, file values and KEPD_<SECTION>_<KEY> overrides, in that order', () => {
  write('domain = "kep.example"\n[smtp]\nsubmission_port = 2587\n[[providers]]\nname = "B"\ndomains = ["HS02.kep.tr"]\nrelay = "mx.b:25"\nca = "pki/b.pem"\n');
  const c = loadConfig(dir, { KEPD_SMTP_SUBMISSIONS_PORT: '2465', KEPD_HOST: '0.0.0.0', KEPD_TSA_URL: 'http://tsa.example/' });
  expect(c.domain).toBe('kep.example');
  expect(c.smtp.submission_port).toBe(2587);
  expect(c.smtp.submissions_port).toBe(2465);
  expect(c.imap.tls_port).toBe(993);
  expect(c.host).toBe('0.0.0.0');
  expect(c.tsa.url).toBe('http://tsa.example/');
  expect(c.providers[0]!.domains).toEqual(['hs02.kep.tr']);
  expect(c.evidence.service_address).toBe('kep@kep.example');
});

test.each([
  ['domain = "kep.example"\n[smtp]\nsubmision_port = 1\n', {}, /unknown key smtp.submision_port/],
  ['domain = "kep.example"\n[smtp]\nsubmission_port = "x"\n', {}, /expected a non-negative integer/],
  ['domain = "Not A Domain"\n', {}, /not a valid lower-case domain/],
  ['domain = "kep.example"\n', { KEPD_IMAP_PORT: 'abc' }, /KEPD_IMAP_PORT: expected a non-negative integer/],
  ['domain = "kep.example"\n[tsa]\nurl = "ftp://x"\n', {}, /tsa.url/],
  ['domain = "kep.example"\n[store]\nbackend = "mongodb"\n', {}, /mongodb_url is required/],
  ['domain = "kep.example"\n[[providers]]\nname = "B"\ndomains = ["kep.example"]\nrelay = "mx:25"\nca = "x"\n', {}, /our own domain/],
  ['domain = "kep.example"\n[[providers]]\nname = "B"\ndomains = []\nrelay = "mx:25"\nca = "x"\n', {}, /domains/],
  ['domain = "kep.example"\n[limits]\nmax_relay_message_bytes = 999999999\n', {}, /must not exceed/],
  ['domain = = "x"\n', {}, /kepd.toml/],
])('refused with a clear error: %s', (toml, env, message) => {
  write(toml);
  expect(() => loadConfig(dir, env)).toThrow(ConfigError);
  expect(() => loadConfig(dir, env)).toThrow(message);
});

test('a missing data dir or kepd.toml says how to create it', () => {
  expect(() => loadConfig(join(dir, 'nope'), {})).toThrow(/kepd init/);
  expect(() => loadConfig(dir, {})).toThrow(/kepd init/);
});

test('config/default.toml documents exactly the keys the loader knows, with the same defaults', () => {
  const doc = parse(readFileSync(join(__dirname, '../../config/default.toml'), 'utf8')) as Record<string, unknown>;
  const defaults = defaultConfig('/x') as unknown as Record<string, unknown>;
  for (const [section, value] of Object.entries(defaults)) {
    if (section === 'data_dir' || section === 'providers' || section === 'domain' || section === 'name') continue;
    if (typeof value === 'object' && value !== null) {
      expect(doc[section]).toEqual(value);
    } else {
      expect(doc[section]).toEqual(value);
    }
  }
  for (const key of Object.keys(doc)) expect(Object.keys(defaults)).toContain(key);
});
