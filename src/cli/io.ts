/** Where CLI commands write, and how they set the exit code (injectable for tests). */
export interface CliIo {
  out(s: string): void;
  /** Exact bytes (e.g. a signed evidence); falls back to `out` where not given. */
  outBytes?(b: Buffer): void;
  err(s: string): void;
  /** Set by a command that finished but must exit non-zero (e.g. invalid evidence → 1). */
  exitCode?: number;
}

export function processIo(): CliIo {
  return {
    out: (s) => process.stdout.write(s),
    outBytes: (b) => process.stdout.write(b),
    err: (s) => process.stderr.write(s),
  };
}

export function printJson(io: CliIo, value: unknown): void {
  io.out(JSON.stringify(value, null, 2) + '\n');
}
