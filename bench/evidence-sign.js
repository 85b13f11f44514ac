#!/usr/bin/env node
/**
 * Evidence signing throughput on this machine (one core, sequential).
 * Usage: npm run build && node bench/evidence-sign.js [count]
 * Prints evidences/s with the built-in TSA, and with a pre-made token (our part alone).
 */
'use strict';
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { benchEvidenceSigning } = require('../dist/evidence/bench-sign.js');
const { ensureDevPki } = require('../dist/pki/dev-pki.js');
const { loadSigningIdentity } = require('../dist/pki/identity.js');
const { BuiltInTsa } = require('../dist/timestamp/built-in-tsa.js');

async function main() {
  const count = Number(process.argv[2] ?? 2000);
  const dir = mkdtempSync(join(tmpdir(), 'kepd-bench-'));
  try {
    await ensureDevPki({ pkiDir: dir, domain: 'bench.kep.example', providerName: 'Bench KEPHS', serviceAddress: 'kep@bench.kep.example' });
    const identity = loadSigningIdentity(join(dir, 'provider.pem'), join(dir, 'provider.key.pem'));
    const tsa = new BuiltInTsa(loadSigningIdentity(join(dir, 'tsa.pem'), join(dir, 'tsa.key.pem')));
    const withTsa = await benchEvidenceSigning({ identity, timeStamper: tsa, count });
    console.log(`evidence sign, built-in TSA:    ${withTsa.perSecond.toFixed(0)} evidences/s (${count} in ${withTsa.seconds.toFixed(2)} s, ${withTsa.lastSize} bytes each)`);
    const token = await tsa.stamp(Buffer.alloc(32));
    const premade = await benchEvidenceSigning({ identity, timeStamper: { stamp: async () => token }, count });
    console.log(`evidence sign, pre-made token:  ${premade.perSecond.toFixed(0)} evidences/s (XML + XAdES only)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
