/**
 * The DATA scanner patch (src/smtp/data-scan-patch.ts) against smtp-server's own: the same
 * input, split into the same random chunks, must give the same data, byte counts, message
 * ends and the same commands after each message — for random text full of dots, line
 * breaks, escape dots and terminators placed across chunk boundaries. (The data may be cut
 * differently: the patch sends held-back bytes ahead instead of copying them into the next
 * chunk.)
 */
import fc from 'fast-check';
import { feedDataStream, originalFeedDataStream, smtpStreamModule, type FeedDataStream } from '../../src/smtp/data-scan-patch';

interface Outcome {
  messages: string[];
  commands: string[];
  dataBytes: number[];
}

interface TestStream {
  oncommand(line: Buffer, next?: () => void): void;
  startDataMode(max?: number): NodeJS.ReadableStream & { byteLength: number };
  continue(): void;
  dataBytes: number;
  _feedDataStream: FeedDataStream;
  write(chunk: Buffer, cb: () => void): boolean;
  end(cb: () => void): void;
}

async function run(feed: FeedDataStream, chunks: Buffer[], received: Buffer[] = []): Promise<Outcome> {
  const { SMTPStream } = smtpStreamModule() as unknown as { SMTPStream: new () => TestStream };
  const stream = new SMTPStream();
  stream._feedDataStream = feed;
  const outcome: Outcome = { messages: [], commands: [], dataBytes: [] };
  stream.oncommand = (line, next) => {
    const text = line.toString('latin1');
    outcome.commands.push(text);
    if (text === 'DATA') {
      const index = outcome.messages.push('') - 1;
      const data = stream.startDataMode();
      data.on('data', (c: Buffer) => {
        received.push(c);
        outcome.messages[index] += c.toString('latin1');
      });
      data.on('end', () => {
        outcome.dataBytes.push(stream.dataBytes);
        setImmediate(() => stream.continue());
      });
    }
    // Asynchronously, as the server's handlers answer: a synchronous chain from continue()
    // through a whole pipelined second message would have the library drop its continuation.
    if (next) setImmediate(next);
  };
  const finished = (async () => {
    for (const c of chunks) await new Promise<void>((resolve) => stream.write(c, resolve));
    await new Promise<void>((resolve) => stream.end(resolve));
  })();
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('the stream stopped taking input')), 2000);
  });
  try {
    await Promise.race([finished, stuck]);
  } finally {
    clearTimeout(timer);
  }
  return outcome;
}

/** Lines that stress the scanner: dots, escapes, terminators, bare CR/LF. */
const line = fc.oneof(
  fc.constantFrom('.', '..', '...', '.\r', '. ', 'a.', '', '\r', '.\r\n.', 'x'),
  fc.string({ unit: fc.constantFrom('a', '.', '\r', '\n', ' '), maxLength: 12 }),
);

const session = fc
  .array(fc.array(line, { maxLength: 30 }), { minLength: 1, maxLength: 3 })
  .map((messages) => {
    // Each message is sent as DATA + its lines (dot-stuffed or not: both must agree) + terminator.
    let wire = '';
    for (const lines of messages) wire += 'DATA\r\n' + lines.join('\r\n') + '\r\n.\r\nNOOP\r\n';
    return Buffer.from(wire + 'QUIT\r\n', 'latin1');
  });

function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    if (p > from) out.push(buf.subarray(from, p));
    from = Math.max(from, p);
  }
  if (from < buf.length) out.push(buf.subarray(from));
  return out;
}

describe('SMTP DATA scanner patch', () => {
  const original = originalFeedDataStream();

  it('is not the library function it replaces', () => {
    expect(original).not.toBe(feedDataStream);
  });

  it('agrees with smtp-server on random sessions and random chunking', async () => {
    await fc.assert(
      fc.asyncProperty(session, fc.array(fc.nat(), { maxLength: 40 }), async (wire, cuts) => {
        const chunks = split(wire, cuts);
        const mine = await run(feedDataStream, chunks);
        const theirs = await run(original, chunks);
        expect(mine).toEqual(theirs);
      }),
      { numRuns: 400 },
    );
  });

  it('unescapes dots and ends at the terminator split over chunks', async () => {
    const wire = Buffer.from('DATA\r\n..lead\r\nmid\r\n..\r\nend\r\n.\r\nQUIT\r\n', 'latin1');
    for (let cut = 1; cut < wire.length; cut++) {
      const out = await run(feedDataStream, [wire.subarray(0, cut), wire.subarray(cut)]);
      expect(out.messages).toEqual(['.lead\r\nmid\r\n.\r\nend\r\n']);
      expect(out.commands).toEqual(['DATA', 'QUIT']);
    }
  });

  it('passes the data on uncopied where no line break meets a chunk seam', async () => {
    // Base64-like lines (76 characters + CRLF) cut 30 characters into every 13th line.
    const body = Array.from({ length: 200 }, (_, i) => String.fromCharCode(65 + (i % 26)).repeat(76)).join('\r\n');
    const wire = Buffer.from(`DATA\r\n${body}\r\n.\r\nQUIT\r\n`, 'latin1');
    const cuts = Array.from({ length: 15 }, (_, i) => 'DATA\r\n'.length + 30 + i * 13 * 78);
    const chunks = split(wire, cuts);
    const received: Buffer[] = [];
    const out = await run(feedDataStream, chunks, received);
    expect(out.messages).toEqual([`${body}\r\n`]);
    expect(out).toEqual(await run(original, chunks));
    // Only the first chunk is copied (by the library, when it switches to data mode); the rest
    // are views of the wire's own memory.
    const copied = received.filter((c) => c.buffer !== wire.buffer).reduce((n, c) => n + c.length, 0);
    expect(received.length).toBeGreaterThan(chunks.length);
    expect(copied).toBeLessThanOrEqual(chunks[0].length);
  });
});
