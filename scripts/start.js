#!/usr/bin/env node
'use strict';
// `npm start`: creates ./data (with a development PKI) on first run, then runs the daemon.
const { existsSync } = require('node:fs');
const { main } = require('../dist/cli/main.js');

(async () => {
  const data = process.env.KEPD_DATA || './data';
  if (!existsSync(data)) {
    const code = await main(['node', 'kepd', 'init', '--data', data, '--domain', process.env.KEPD_DOMAIN || 'kep.localhost']);
    if (code !== 0) process.exit(code);
  }
  process.exitCode = await main(['node', 'kepd', 'start', '--data', data]);
})().catch((err) => {
  process.stderr.write(`kepd: ${err && err.message ? err.message : err}\n`);
  process.exit(1);
});
