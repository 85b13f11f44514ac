/**
 * The memory valve (common/memory-valve.ts) collects once a thread's external memory has grown
 * past its threshold — garbage buffers, as a large stream leaves behind — when its timer looks
 * or when streams report bytes, and not while nothing grows.
 */
import { noteStreamedBytes, startMemoryValve } from '../../src/common/memory-valve';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MB = 1024 * 1024;

/** 8 MB of 64 KB buffers, dropped at once (as a streamed message's chunks are). */
function pileUpGarbage(): number {
  let sink = 0;
  for (let i = 0; i < 128; i++) sink += Buffer.allocUnsafe(64 * 1024).fill(i).readUInt8(0);
  return sink;
}

describe('memory valve', () => {
  it('collects after buffers pile up, and not when idle', async () => {
    const valve = startMemoryValve({ thresholdBytes: 4 * MB, lookEveryBytes: MB, intervalMs: 5 });
    try {
      await tick(50);
      const idle = valve.collections;
      expect(idle).toBe(0);
      let sink = 0;
      for (let round = 0; round < 5; round++) {
        sink += pileUpGarbage();
        await tick(20);
      }
      expect(sink).toBeGreaterThanOrEqual(0);
      expect(valve.collections).toBeGreaterThan(idle);
    } finally {
      valve.stop();
    }
  });

  it('looks as soon as streams report another megabyte, without waiting for its timer', () => {
    // The timer never fires within this test: only the reported bytes can make it look.
    const valve = startMemoryValve({ thresholdBytes: 4 * MB, lookEveryBytes: MB, intervalMs: 60_000 });
    try {
      // Short of a megabyte reported, it does not look, however much has piled up.
      expect(pileUpGarbage()).toBeGreaterThanOrEqual(0);
      noteStreamedBytes(MB - 1);
      expect(valve.collections).toBe(0);
      // The megabyte completes: it looks. V8 may have collected on its own while the garbage was
      // made (moving the valve's base), so more megabytes of garbage follow until it collects.
      noteStreamedBytes(1);
      for (let round = 0; valve.collections === 0 && round < 10; round++) {
        expect(pileUpGarbage()).toBeGreaterThanOrEqual(0);
        noteStreamedBytes(MB);
      }
      expect(valve.collections).toBe(1);
      // Nothing grew since: reported bytes alone do not collect.
      noteStreamedBytes(4 * MB);
      expect(valve.collections).toBe(1);
    } finally {
      valve.stop();
    }
    // A stopped valve no longer listens.
    expect(pileUpGarbage()).toBeGreaterThanOrEqual(0);
    noteStreamedBytes(2 * MB);
    expect(valve.collections).toBe(1);
  });
});
