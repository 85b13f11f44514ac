/** The limit keys: defaults, overrides, and values too small to serve standard traffic refused clearly. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/errors';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kepd-config-limits-'));
  writeFileSync(join(dir, 'kepd.toml'), 'domain = "kep.example"\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('defaults and KEPD_* overrides of the limit keys', () => {
  const c = loadConfig(dir, { KEPD_AUTH_LOCKOUT_MS: '60000', KEPD_IMAP_MAX_CONNECTIONS_PER_IP: '0' });
  expect(c.smtp).toMatchObject({ max_command_line_bytes: 4096, max_commands_per_session: 100000, max_connections_per_ip: 50, max_connections_per_account: 10 });
  expect(c.imap).toMatchObject({ max_command_line_bytes: 65536, max_commands_per_session: 100000, max_connections_per_ip: 0, max_connections_per_account: 20 });
  expect(c.limits).toMatchObject({ max_line_bytes: 998, max_header_fields: 500, max_header_bytes: 262144, max_mime_depth: 32, max_mime_parts: 1000 });
  expect(c.auth).toEqual({ max_failures_per_account: 5, max_failures_per_ip: 20, failure_window_ms: 900000, lockout_ms: 60000 });
});

test.each([
  [{ KEPD_SMTP_MAX_COMMAND_LINE_BYTES: '100' }, /smtp\.max_command_line_bytes: 100 is below 512/],
  [{ KEPD_IMAP_MAX_COMMAND_LINE_BYTES: '999' }, /imap\.max_command_line_bytes: 999 is below 1000/],
  [{ KEPD_LIMITS_MAX_LINE_BYTES: '10' }, /limits\.max_line_bytes: 10 is below 78/],
  [{ KEPD_LIMITS_MAX_MIME_DEPTH: '1' }, /limits\.max_mime_depth: 1 is below 2/],
  [{ KEPD_LIMITS_MAX_HEADER_BYTES: '100' }, /limits\.max_header_bytes/],
  [{ KEPD_AUTH_LOCKOUT_MS: '0' }, /auth\.lockout_ms: 0 is below 1/],
  [{ KEPD_AUTH_MAX_FAILURES_PER_IP: '-1' }, /expected a non-negative integer/],
  [{ KEPD_JOBS_CONCURRENCY: '0' }, /jobs\.concurrency: 0 is below 1/],
  [{ KEPD_JOBS_THREADS: '17' }, /jobs\.threads: 17 is not a whole number from 0 to 16/],
  [{ KEPD_JOBS_FRONTEND_NICE: '20' }, /jobs\.frontend_nice: 20 is not a whole number from 0 to 19/],
])('refused: %o', (env, message) => {
  expect(() => loadConfig(dir, env)).toThrow(ConfigError);
  expect(() => loadConfig(dir, env)).toThrow(message);
});
