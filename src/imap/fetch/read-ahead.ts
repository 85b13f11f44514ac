/**
 * Works on the next items of a list while the current one is being answered, so blob reads
 * overlap each other and the writes instead of waiting one behind the other. Bounded by a
 * number of items and by their weight (the bytes they may hold in memory), so read-ahead never
 * holds more than that, however long the list.
 */
export interface ReadAheadLimits {
  /** Items started but not yet taken, at most (at least one is always started). */
  count: number;
  /** Their summed weight, at most (an item heavier than this still runs, alone). */
  weight: number;
}

export class ReadAhead<T, R> {
  private readonly pending: Array<{ weight: number; result: Promise<R> }> = [];
  private started = 0;
  private weight = 0;

  constructor(
    private readonly items: readonly T[],
    private readonly start: (item: T) => Promise<R>,
    private readonly weightOf: (item: T) => number,
    private readonly limits: ReadAheadLimits,
  ) {}

  /** The result for the next item, in list order; the caller takes exactly `items.length` of them. */
  take(): Promise<R> {
    this.fill();
    const head = this.pending.shift();
    if (!head) throw new RangeError('ReadAhead: no item left');
    this.weight -= head.weight;
    this.fill();
    return head.result;
  }

  private fill(): void {
    while (this.started < this.items.length) {
      const item = this.items[this.started];
      const weight = this.weightOf(item);
      const room = this.pending.length < this.limits.count && this.weight + weight <= this.limits.weight;
      if (this.pending.length > 0 && !room) return;
      const result = this.start(item);
      // a result nobody takes (the command ended early) must not become an unhandled rejection
      result.catch(() => undefined);
      this.pending.push({ weight, result });
      this.weight += weight;
      this.started++;
    }
  }
}
