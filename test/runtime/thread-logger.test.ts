// A thread's log lines on their way to the primary: one message per turn of the thread's
// event loop (a flood of refused requests, each logged, must not cross threads once a line),
// in the order written, and none of the levels the node's logger drops.
import pino from 'pino';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { deliverLines, levelsEnabled, postingLogger, type LogMessage } from '../../dist/thread-logger.js';

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('postingLogger', () => {
  it.each([1, 2, 100, 5_000])('sends the %i lines written in one turn as one message, in order', async (n) => {
    const posted: LogMessage[] = [];
    const logger = postingLogger((m) => posted.push(m));
    for (let i = 0; i < n; i++) logger[(['info', 'warn', 'error'] as const)[i % 3]!]({ i }, `line ${i}`);
    expect(posted).toEqual([]);
    await nextTurn();
    expect(posted).toHaveLength(1);
    expect(posted[0]!.lines.map((l) => l.fields.i)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(posted[0]!.lines[n - 1]).toEqual({ level: (['info', 'warn', 'error'] as const)[(n - 1) % 3], fields: { i: n - 1 }, message: `line ${n - 1}` });
  });

  it('sends each turn\'s lines in a message of their own, and nothing for a turn without any', async () => {
    const posted: LogMessage[] = [];
    const logger = postingLogger((m) => posted.push(m));
    logger.error({}, 'a');
    await nextTurn();
    await nextTurn();
    logger.error({}, 'b');
    logger.error({}, 'c');
    await nextTurn();
    expect(posted.map((m) => m.lines.map((l) => l.message))).toEqual([['a'], ['b', 'c']]);
  });

  it.each([
    ['error', { info: false, warn: false, error: true }, ['e']],
    ['warn', { info: false, warn: true, error: true }, ['w', 'e']],
    ['info', { info: true, warn: true, error: true }, ['i', 'w', 'e']],
    ['fatal', { info: false, warn: false, error: false }, []],
  ] as const)('at a pino level of %s, sends only the lines pino would write', async (level, enabled, sent) => {
    const written: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _e, done) => { written.push(chunk.toString()); done(); } });
    const primary = pino({ level }, sink);
    expect(levelsEnabled(primary)).toEqual(enabled);
    const posted: LogMessage[] = [];
    const logger = postingLogger((m) => posted.push(m), levelsEnabled(primary));
    logger.info({}, 'i');
    logger.warn({}, 'w');
    logger.error({ zone: 'z' }, 'e');
    await nextTurn();
    expect(posted.flatMap((m) => m.lines.map((l) => l.message))).toEqual(sent);
    for (const m of posted) deliverLines(primary, m, { threadId: 7 });
    await nextTurn();
    const lines = written.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.msg)).toEqual(sent);
    for (const l of lines) expect(l.threadId).toBe(7);
    if (sent.includes('e' as never)) expect(lines.find((l) => l.msg === 'e')!.zone).toBe('z');
  });

  it('takes a logger that cannot say its levels (console and the like) to write them all', () => {
    expect(levelsEnabled({ info: () => {}, warn: () => {}, error: () => {} })).toEqual({ info: true, warn: true, error: true });
  });
});
