/**
 * Compiles the store child script (test/store/store-child.ts and what it imports) with tsc into
 * a temp dir, so crash and multi-process tests run real separate Node processes on the code
 * under test. NODE_PATH lets the compiled files find the project's node_modules.
 */
import { execFile, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(__dirname, '..', '..');

export interface BuiltChild {
  script: string;
  env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

export async function buildStoreChild(): Promise<BuiltChild> {
  const out = await mkdtemp(join(tmpdir(), 'kepd-store-build-'));
  const config = {
    extends: join(ROOT, 'tsconfig.base.json'),
    compilerOptions: {
      rootDir: ROOT,
      outDir: join(out, 'js'),
      sourceMap: false,
      typeRoots: [join(ROOT, 'node_modules', '@types'), join(ROOT, 'types')],
    },
    files: [join(ROOT, 'test', 'store', 'store-child.ts')],
  };
  await writeFile(join(out, 'tsconfig.json'), JSON.stringify(config));
  try {
    await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(out, 'tsconfig.json')], {
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    await rm(out, { recursive: true, force: true });
    const e = err as { stdout?: string; message: string };
    throw new Error(`compiling the store child failed: ${e.stdout ?? e.message}`);
  }
  const script = join(out, 'js', 'test', 'store', 'store-child.js');
  if (!existsSync(script)) throw new Error(`compiled child script missing at ${script}`);
  return {
    script,
    env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') },
    cleanup: () => rm(out, { recursive: true, force: true }),
  };
}

export interface ChildMessage {
  type: string;
  [k: string]: unknown;
}

export interface RunningChild {
  pid: number;
  /** Every IPC message received so far, in order. */
  messages: ChildMessage[];
  /** Resolves with the first message of `type` (already received or future). */
  next(type: string): Promise<ChildMessage>;
  /** Resolves when the process has exited and been reaped. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  kill(signal: NodeJS.Signals): void;
  send(message: object): void;
}

export function forkStoreChild(built: BuiltChild, args: string[]): RunningChild {
  const child = fork(built.script, args, { env: built.env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const messages: ChildMessage[] = [];
  const waiters: { type: string; resolve: (m: ChildMessage) => void }[] = [];
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.on('message', (m: ChildMessage) => {
    messages.push(m);
    for (const w of waiters.filter((x) => x.type === m.type)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return {
    pid: child.pid!,
    messages,
    next: (type) => {
      const found = messages.find((m) => m.type === type);
      if (found) return Promise.resolve(found);
      return new Promise<ChildMessage>((resolve, reject) => {
        waiters.push({ type, resolve });
        exited.then((e) => reject(new Error(`child exited (${e.code ?? e.signal}) before sending ${type}: ${e.stderr}`)));
      });
    },
    exited,
    kill: (signal) => child.kill(signal),
    send: (message) => child.send(message),
  };
}
