#!/usr/bin/env node
'use strict';
require('../dist/cli/main.js').main(process.argv).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (err) => { process.stderr.write(`kepd: ${err && err.message ? err.message : err}\n`); process.exitCode = 1; },
);
