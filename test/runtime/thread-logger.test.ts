// A thread's log lines on their way to the primary: held a moment and sent together (a flood
// of refused requests, each logged, must not wake the primary once a line), in the order
// written, and none of the levels the node's logger drops.
import pino from 'pino';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deliverLines, levelsEnabled, LOG_BATCH_MS, postingLogger, repeatedLineOf, type LogMessage } from '../../dist/thread-logger.js';
import { threadLogger, type LogTextMessage } from '../../dist/runtime/thread-log.js';

const batchSent = (): Promise<void> => new Promise((r) => setTimeout(r, LOG_BATCH_MS + 20));
const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('postingLogger', () => {
  it.each([[1, 1], [2, 1], [999, 1], [1_000, 1], [5_000, 5], [5_001, 6]])('sends %i lines written at once in %i message(s), in order', async (n, messages) => {
    const posted: LogMessage[] = [];
    const logger = postingLogger((m) => posted.push(m));
    for (let i = 0; i < n; i++) logger[(['info', 'warn', 'error'] as const)[i % 3]!]({ i }, `line ${i}`);
    expect(posted).toHaveLength(Math.floor(n / 1_000));
    await nextTurn();
    expect(posted).toHaveLength(Math.floor(n / 1_000));
    await batchSent();
    expect(posted).toHaveLength(messages);
    posted.splice(0, posted.length, { type: 'log', lines: posted.flatMap((m) => m.lines) });
    expect(posted[0]!.lines.map((l) => l.fields.i)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(posted[0]!.lines[n - 1]).toEqual({ level: (['info', 'warn', 'error'] as const)[(n - 1) % 3], fields: { i: n - 1 }, message: `line ${n - 1}` });
  });

  it('sends what it holds at flush() at once, and nothing when it holds nothing', async () => {
    const posted: LogMessage[] = [];
    const logger = postingLogger((m) => posted.push(m));
    logger.flush();
    logger.error({}, 'a');
    logger.flush();
    expect(posted.map((m) => m.lines.map((l) => l.message))).toEqual([['a']]);
    logger.error({}, 'b');
    logger.error({}, 'c');
    await batchSent();
    logger.flush();
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
    await batchSent();
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

  it.each(['error', 'warn', 'info'] as const)('as text (the node\'s own pino logger, at %s): the lines the primary\'s pino would write, with the thread\'s id', async (level) => {
    const written: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _e, done) => { written.push(chunk.toString()); done(); } });
    const primary = pino({ level, base: { pid: process.pid } }, sink);
    const posted: LogTextMessage[] = [];
    const logger = threadLogger({ levels: levelsEnabled(primary), asText: true }, 5, (m) => posted.push(m as LogTextMessage));
    logger.info({ a: 1 }, 'i');
    logger.warn({ a: 2 }, 'w');
    logger.error({ zone: 'z', err: new Error('boom') }, 'e');
    primary.info({ a: 1, threadId: 5 }, 'i');
    primary.warn({ a: 2, threadId: 5 }, 'w');
    primary.error({ threadId: 5, zone: 'z', err: new Error('boom') }, 'e');
    await batchSent();
    expect(posted.every((m) => m.type === 'log-text')).toBe(true);
    const fromThread = posted.map((m) => m.text).join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    const fromPrimary = written.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    const comparable = (l: Record<string, unknown>) => ({ ...l, time: typeof l.time, err: (l.err as { message?: string } | undefined)?.message });
    expect(fromThread.map(comparable)).toEqual(fromPrimary.map(comparable));
    expect(fromThread.length).toBe({ error: 1, warn: 2, info: 3 }[level]);
  });
});

describe('repeated lines (a refusal logged once per request)', () => {
  const keyText = fc.string({ minLength: 1, maxLength: 12, unit: 'binary' });
  const value = fc.oneof(
    fc.string({ maxLength: 140, unit: 'binary' }),
    fc.string({ maxLength: 40, unit: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)) }),
    fc.double(), fc.integer(), fc.constantFrom(NaN, Infinity, -Infinity, -0),
  );
  const fieldsOf = fc.dictionary(keyText, value, { maxKeys: 5 });
  const withoutTime = (text: string): string => text.replace(/^\{"level":(\d+),"time":\d+,/gm, '{"level":$1,"time":0,');

  it('the thread\'s pino logger makes, without pino, the text its pino makes of the same fields and message', async () => {
    await fc.assert(fc.asyncProperty(
      fc.constantFrom('info', 'warn', 'error'), fc.string({ maxLength: 60, unit: 'binary' }), fieldsOf, fc.array(fieldsOf, { minLength: 1, maxLength: 3 }),
      async (level, message, fixed, calls) => {
        // Keys of the fixed part left out of each call's: a line with a key twice is no JSON object to compare.
        const varying = calls.map((f) => Object.fromEntries(Object.entries(f).filter(([k]) => !(k in fixed))));
        const texts: string[] = [];
        const logger = threadLogger({ levels: { info: true, warn: true, error: true }, asText: true }, 9, (m) => texts.push((m as LogTextMessage).text));
        const line = repeatedLineOf(logger, level, message, fixed);
        for (const fields of varying) line(fields);
        logger.flush();
        for (const fields of varying) logger[level]({ ...fixed, ...fields }, message);
        logger.flush();
        expect(texts).toHaveLength(2);
        expect(withoutTime(texts[0]!)).toBe(withoutTime(texts[1]!));
      },
    ), { numRuns: 300 });
  });

  it.each([
    ['error', { info: false, warn: false, error: true }, 1],
    ['warn', { info: false, warn: true, error: true }, 2],
    ['info', { info: true, warn: true, error: true }, 3],
  ] as const)('at %s, writes only the levels the node\'s logger writes', async (_level, levels, lines) => {
    const texts: string[] = [];
    const logger = threadLogger({ levels, asText: true }, 9, (m) => texts.push((m as LogTextMessage).text));
    for (const level of ['info', 'warn', 'error'] as const) repeatedLineOf(logger, level, level, { zone: 'z' })({ excess: 1 });
    logger.flush();
    expect(texts.join('').split('\n').filter((l) => l !== '')).toHaveLength(lines);
  });

  it('another logger gets the fixed fields, then the varying ones, in one call of the level', () => {
    const posted: LogMessage[] = [];
    const logger = postingLogger((m) => posted.push(m));
    repeatedLineOf(logger, 'warn', 'limiting requests', { zone: 'z' })({ excess: 0.5, client: '10.0.0.1' });
    logger.flush();
    expect(posted[0]!.lines).toEqual([{ level: 'warn', fields: { zone: 'z', excess: 0.5, client: '10.0.0.1' }, message: 'limiting requests' }]);
  });
});
