// Reloads a running node must refuse whole, because what they change is made at start: the
// worker threads. A node embedded in this process (startNode), its log captured.
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { normalizeConfig, startNode, type ZonesyncConfigInput } from 'zonesync';
import { api, freePorts } from './cluster-helpers.js';

function capturingLogger(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } });
  return { logger: pino({ level: 'info' }, stream), lines };
}

type Location = Record<string, unknown>;

function config(http: number, workerProcesses: number, locations: Location[]): ZonesyncConfigInput {
  return {
    workerProcesses,
    http: { servers: [{ listen: [`127.0.0.1:${http}`], locations: [{ pattern: '/api', api: { write: false } }, ...locations] }] },
  } as ZonesyncConfigInput;
}

/** A handler file that exists: a reload reads the handler files before it looks at what changed. */
const EXAMPLE_HANDLER = fileURLToPath(new URL('../../examples/handler.mjs', import.meta.url));

const NEW_RETURN: Location = { pattern: '/new', return: { status: 200, text: 'new' } };

describe('a reload that would need other worker threads', () => {
  it.each([
    {
      name: 'a handler location on a node started without worker threads',
      start: [] as Location[], workers: 1,
      next: [{ pattern: '/app', settings: { handler: EXAMPLE_HANDLER } }, NEW_RETURN],
      reason: /location \\"\/app\\" runs a handler on the worker threads/,
    },
    {
      name: 'worker_processes changed',
      start: [{ pattern: '/app', settings: { handler: null } }] as Location[], workers: 2,
      next: [{ pattern: '/app', settings: { handler: null } }, NEW_RETURN],
      reason: /the number of worker threads changed from 1 to 2/,
    },
  ])('$name: refused whole, with the reason, the old configuration served', async ({ start, workers, next, reason }) => {
    const [http] = await freePorts(1);
    const { logger, lines } = capturingLogger();
    const node = await startNode(config(http!, 1, start), { logger });
    try {
      node.reload(normalizeConfig(config(http!, workers, next)));
      const refusal = lines.find((l) => /configuration reload refused/.test(l));
      expect(refusal, lines.join('')).toMatch(reason);
      expect((await api(http!, '/api/9/nginx')).body.generation).toBe(0);
      expect((await api(http!, '/new')).status).toBe(404);
    } finally {
      await node.stop();
    }
  });
});
