#!/usr/bin/env node
/**
 * Embedded store throughput on this machine: messages/s and commits/s through the store's
 * share of delivering a registered message (dist/store/embedded/bench-commit.js), at several
 * concurrencies, and fsync system calls per message (counted with strace when installed).
 *
 * Usage: npm run build && node bench/store-commit.js [--units 400] [--concurrency 1,20]
 *          [--body 10240] [--inline-bytes N] [--store-dist DIR] [--workdir DIR]
 *   --store-dist  the dist/ of the build whose store is measured (default ./dist), e.g. an
 *                 older checkout built elsewhere, for before/after figures; the workload
 *                 always comes from ./dist.
 *   --inline-bytes   the store's inline blob threshold (store.inline_blob_bytes; 0 = files only).
 * Each figure comes from a fresh process on a fresh data dir under --workdir (default: the
 * system temp dir, which must be on the disk being measured).
 */
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');

const ROOT = resolve(__dirname, '..');

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

async function child() {
  const storeDist = resolve(option('store-dist', join(ROOT, 'dist')));
  const { openEmbeddedStore } = require(join(storeDist, 'store'));
  const { benchStoreCommit } = require(join(ROOT, 'dist', 'store', 'embedded', 'bench-commit.js'));
  const dataDir = mkdtempSync(join(option('workdir', tmpdir()), 'kepd-store-bench-'));
  try {
    const inline = option('inline-bytes', undefined);
    const store = await openEmbeddedStore({ dataDir, ...(inline === undefined ? {} : { inlineBlobBytes: Number(inline) }) });
    const result = await benchStoreCommit({
      store,
      units: Number(option('units', 400)),
      concurrency: Number(option('concurrency', 1)),
      bodyBytes: Number(option('body', 10240)),
    });
    await store.close();
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function runChild(args, straceOut) {
  const node = [process.execPath, __filename, '--child', ...args];
  const cmd = straceOut ? ['strace', '-f', '-c', '-e', 'trace=fsync,fdatasync', '-o', straceOut, ...node] : node;
  const out = execFileSync(cmd[0], cmd.slice(1), { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(out.trim().split('\n').pop());
}

function fsyncCalls(file) {
  let calls = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)(?:\s+\d+)?\s+(fsync|fdatasync)\s*$/.exec(line);
    if (m) calls += Number(m[1]);
  }
  return calls;
}

function hasStrace() {
  return spawnSync('strace', ['-V']).status === 0;
}

async function main() {
  const units = Number(option('units', 400));
  const concurrencies = option('concurrency', '1,20').split(',').map(Number);
  const inline = option('inline-bytes', undefined);
  const common = [...(inline === undefined ? [] : ['--inline-bytes', inline]), '--body', option('body', '10240'), '--store-dist', resolve(option('store-dist', join(ROOT, 'dist'))), '--workdir', option('workdir', tmpdir())];
  const strace = hasStrace();
  const scratch = mkdtempSync(join(tmpdir(), 'kepd-store-bench-strace-'));
  console.log(
    `store: ${resolve(option('store-dist', join(ROOT, 'dist')))}; ${units} messages per run, body ${option('body', '10240')} bytes` +
      (inline === undefined ? '' : `, inline blobs up to ${inline} bytes`),
  );
  console.log('| concurrency | messages/s | commits/s | fsyncs per message |');
  console.log('|---:|---:|---:|---:|');
  try {
    for (const c of concurrencies) {
      const r = runChild([...common, '--units', String(units), '--concurrency', String(c)]);
      let perUnit = 'n/a (no strace)';
      if (strace) {
        const n = Math.min(units, 200);
        const withWork = join(scratch, `c${c}-work.txt`);
        const idle = join(scratch, `c${c}-idle.txt`);
        runChild([...common, '--units', String(n), '--concurrency', String(c)], withWork);
        runChild([...common, '--units', '0', '--concurrency', String(c)], idle);
        perUnit = ((fsyncCalls(withWork) - fsyncCalls(idle)) / n).toFixed(2);
      }
      console.log(`| ${c} | ${r.unitsPerSecond.toFixed(1)} | ${r.writesPerSecond.toFixed(0)} | ${perUnit} |`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

(process.argv.includes('--child') ? child() : main()).catch((e) => {
  console.error(e);
  process.exit(1);
});
