/**
 * The write gate (store/embedded/write-gate.ts) between threads: a thread that wants the gate
 * waits while another holds it and gets it once that one leaves; a holder that dies without
 * leaving is taken over instead of blocking writes for good. The other thread runs the built
 * module (dist/, made by `npm test`'s build step), as the daemon's job threads do.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { adoptWriteGates, exportWriteGates } from '../../src/store';
import { writeGateFor } from '../../src/store/embedded/write-gate';

const BUILT = join(__dirname, '..', '..', 'dist', 'store', 'embedded', 'write-gate.js');

/** A thread that takes the gate, says so, then either leaves after setting `flag` or dies holding it. */
function holder(file: string, flag: SharedArrayBuffer, leave: boolean): Worker {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const gates = require(workerData.built);
    gates.adoptWriteGates(workerData.gates);
    const gate = gates.writeGateFor(workerData.file);
    gate.enter();
    parentPort.postMessage('held');
    const flag = new Int32Array(workerData.flag);
    Atomics.wait(flag, 0, 0, 300);
    if (workerData.leave) {
      Atomics.store(flag, 1, 1);
      gate.leave();
    }
  `;
  return new Worker(code, { eval: true, workerData: { built: BUILT, gates: exportWriteGates(), file, flag, leave } });
}

function held(w: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    w.once('message', () => resolve());
    w.once('error', reject);
  });
}

describe('write gate', () => {
  it('makes a thread wait until the holder leaves', async () => {
    const file = `/gate-test/${Math.random()}`;
    const gate = writeGateFor(file);
    const flag = new SharedArrayBuffer(8);
    const w = holder(file, flag, true);
    await held(w);
    gate.enter();
    // The holder sets this just before leaving: entering earlier would see 0.
    expect(Atomics.load(new Int32Array(flag), 1)).toBe(1);
    gate.leave();
    await w.terminate();
  });

  it('tells the holder whether another thread is waiting', async () => {
    const file = `/gate-test/${Math.random()}`;
    const gate = writeGateFor(file);
    gate.enter();
    expect(gate.othersWaiting()).toBe(false);
    // A thread blocks in enter() while this one holds the gate.
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const gates = require(workerData.built);
      gates.adoptWriteGates(workerData.gates);
      const gate = gates.writeGateFor(workerData.file);
      parentPort.postMessage('trying');
      gate.enter();
      gate.leave();
    `;
    const w = new Worker(code, { eval: true, workerData: { built: BUILT, gates: exportWriteGates(), file } });
    await held(w);
    for (let i = 0; i < 200 && !gate.othersWaiting(); i++) await new Promise((r) => setTimeout(r, 5));
    expect(gate.othersWaiting()).toBe(true);
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    gate.leave();
    await exited;
    expect(gate.othersWaiting()).toBe(false);
  });

  it('takes over from a holder that ended without leaving', async () => {
    const file = `/gate-test/${Math.random()}`;
    const gate = writeGateFor(file);
    const w = holder(file, new SharedArrayBuffer(8), false);
    await held(w);
    await new Promise<void>((resolve) => w.once('exit', () => resolve()));
    gate.enter();
    gate.leave();
    // And it is free again for the next one.
    gate.enter();
    gate.leave();
  });

  it('adopting the gates of another thread keeps the ones already known', () => {
    const file = `/gate-test/${Math.random()}`;
    const gate = writeGateFor(file);
    adoptWriteGates({ [file]: new SharedArrayBuffer(4) });
    expect(writeGateFor(file)).toBe(gate);
  });
});
