/**
 * The memory valve (common/memory-valve.ts) collects once a thread's external memory has grown
 * past its threshold — garbage buffers, as a large stream leaves behind — and not while
 * nothing grows.
 */
import { startMemoryValve } from '../../src/common/memory-valve';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('memory valve', () => {
  it('collects after buffers pile up, and not when idle', async () => {
    const valve = startMemoryValve({ thresholdBytes: 4 * 1024 * 1024, intervalMs: 5 });
    try {
      await tick(50);
      const idle = valve.collections;
      expect(idle).toBe(0);
      let sink = 0;
      for (let round = 0; round < 5; round++) {
        // 8 MB of 64 KB buffers, dropped at once (as a streamed message's chunks are).
        for (let i = 0; i < 128; i++) sink += Buffer.allocUnsafe(64 * 1024).fill(i).readUInt8(0);
        await tick(20);
      }
      expect(sink).toBeGreaterThanOrEqual(0);
      expect(valve.collections).toBeGreaterThan(idle);
    } finally {
      valve.stop();
    }
  });
});
