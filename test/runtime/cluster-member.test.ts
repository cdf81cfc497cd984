// Processes of one host sharing zones: node:cluster workers forked by forkClusterMembers,
// and processes placed by PM2's NODE_APP_INSTANCE, each a node of a mesh set up by
// startClusterMember. Real processes on loopback TCP and unix sockets.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_BASE_PORT, memberAddresses, memberPlace } from 'zonesync';
import { consecutivePorts, tempDir, waitFor } from './cluster-helpers.js';

const APP = fileURLToPath(new URL('../fixtures/cluster/member-app.mjs', import.meta.url));

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('memberPlace: which member this process is', () => {
  it('takes the options first, then ZONESYNC_CLUSTER_MEMBER(S), then PM2\'s NODE_APP_INSTANCE, then the node:cluster worker id', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 64 }).chain((members) => fc.record({
        members: fc.constant(members),
        given: fc.option(fc.nat(members - 1), { nil: undefined }),
        ours: fc.option(fc.nat(members - 1), { nil: undefined }),
        pm2: fc.option(fc.nat(members - 1), { nil: undefined }),
        worker: fc.option(fc.integer({ min: 1, max: members }), { nil: null }),
        countInEnv: fc.boolean(),
      })),
      ({ members, given, ours, pm2, worker, countInEnv }) => {
        const env: NodeJS.ProcessEnv = {};
        if (ours !== undefined) env.ZONESYNC_CLUSTER_MEMBER = String(ours);
        if (pm2 !== undefined) env.NODE_APP_INSTANCE = String(pm2);
        if (countInEnv) env.ZONESYNC_CLUSTER_MEMBERS = String(members);
        const expected = given ?? ours ?? pm2 ?? (worker === null ? undefined : worker - 1);
        const place = () => memberPlace({ members: countInEnv ? undefined : members, index: given }, env, worker);
        if (expected === undefined) expect(refusal(place)).toMatch(/place among the \d+ cluster members is not known/);
        else expect(place()).toEqual({ index: expected, members });
      },
    ), { numRuns: 500 });
  });

  it.each<[string, Parameters<typeof memberPlace>, string]>([
    ['no member count', [{ index: 0 }, {}, null], 'the number of cluster members is not known: give "members", or set ZONESYNC_CLUSTER_MEMBERS (forkClusterMembers does; with PM2, set it in the app\'s env to its "instances")'],
    ['no index', [{ members: 2 }, {}, null], 'this process\'s place among the 2 cluster members is not known: give "index", or set ZONESYNC_CLUSTER_MEMBER; PM2 sets NODE_APP_INSTANCE, and a node:cluster worker has its id'],
    ['an index past the members', [{ members: 2 }, { NODE_APP_INSTANCE: '2' }, null], 'cluster member index 2 is out of range: there are 2 members (0 to 1)'],
    ['a replaced node:cluster worker', [{ members: 3 }, {}, 4], 'node:cluster worker 4 has no place among 3 members: a worker forked again gets a new id; fork the members with forkClusterMembers(), which gives a replacement the index of the worker it replaces'],
    ['no members', [{ members: 0, index: 0 }, {}, null], 'a cluster has at least one member, not 0'],
    ['a malformed variable', [{ members: 2 }, { NODE_APP_INSTANCE: 'one' }, null], 'invalid value "one" of the environment variable NODE_APP_INSTANCE, it must be a whole number'],
  ])('refuses %s', (_, args, message) => {
    expect(refusal(() => memberPlace(...args))).toBe(message);
  });
});

describe('memberAddresses: each member\'s sync address', () => {
  it('gives consecutive loopback ports from basePort (12345 by default), or one unix socket per member', () => {
    expect(memberAddresses(3, {})).toEqual([`127.0.0.1:${DEFAULT_BASE_PORT}`, `127.0.0.1:${DEFAULT_BASE_PORT + 1}`, `127.0.0.1:${DEFAULT_BASE_PORT + 2}`]);
    expect(memberAddresses(2, { basePort: 40000 })).toEqual(['127.0.0.1:40000', '127.0.0.1:40001']);
    expect(memberAddresses(2, { socketDir: '/run/app' })).toEqual(['unix:/run/app/member-0.sock', 'unix:/run/app/member-1.sock']);
    expect(memberAddresses(1, { basePort: 65535 })).toEqual(['127.0.0.1:65535']);
  });

  it.each<[string, Parameters<typeof memberAddresses>, string]>([
    ['ports past 65535', [2, { basePort: 65535 }], 'members use the ports 65535 to 65536: "basePort" must leave room for every member below 65536'],
    ['port 0', [1, { basePort: 0 }], 'members use the ports 0 to 0: "basePort" must leave room for every member below 65536'],
    ['both kinds', [2, { basePort: 1000, socketDir: '/run' }], 'give "basePort" or "socketDir", not both'],
    ['a socket path too long', [10, { socketDir: `/${'d'.repeat(100)}` }], `the unix socket path "/${'d'.repeat(100)}/member-9.sock" is longer than 107 bytes: choose a shorter "socketDir"`],
  ])('refuses %s', (_, args, message) => {
    expect(refusal(() => memberAddresses(...args))).toBe(message);
  });
});

/** A process of the fixture app and its JSON answers. */
class App {
  readonly child: ChildProcess;
  readonly answers: Record<string, unknown>[] = [];
  private rest = '';
  errors = '';

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [APP, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.child.stdout!.on('data', (d: Buffer) => {
      const lines = (this.rest + d.toString()).split('\n');
      this.rest = lines.pop()!;
      for (const line of lines) this.answers.push(JSON.parse(line) as Record<string, unknown>);
    });
    this.child.stderr!.on('data', (d) => { this.errors += d; });
  }

  send(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  find(match: (a: Record<string, unknown>) => boolean): Record<string, unknown> | undefined {
    return this.answers.find(match);
  }

  async exited(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    return new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  describe(): string {
    return `${JSON.stringify(this.answers)}\n${this.errors}`;
  }
}

const running: App[] = [];
afterEach(() => {
  for (const app of running.splice(0)) app.kill();
});

function start(args: string[], env: NodeJS.ProcessEnv = {}): App {
  const app = new App(args, env);
  running.push(app);
  return app;
}

describe('node:cluster workers forked by forkClusterMembers', () => {
  it('share a zone: a write in any worker reaches the others; a replaced worker takes its index and catches up; a zone handle sent over IPC is refused', async () => {
    const base = await consecutivePorts(3);
    const app = start(['cluster', '3', String(base)]);
    const ready = (index: number, notPid?: unknown) => () => app.answers.some((a) => a.ready === true && a.index === index && a.pid !== notPid);
    for (const i of [0, 1, 2]) await waitFor(ready(i), 30_000, () => `member ${i} not ready: ${app.describe()}`);

    // A write in one process is read in every other one.
    app.send('0 set greeting hello');
    const sees = (index: number, key: string, value: string) => async () => {
      app.send(`${index} get ${key}`);
      await new Promise((r) => setTimeout(r, 20));
      return app.answers.some((a) => a.index === index && a.get === key && a.value === value);
    };
    for (const i of [1, 2]) await waitFor(sees(i, 'greeting', 'hello'), 15_000, () => `member ${i} never saw it: ${app.describe()}`);
    app.send('2 set reply hi');
    for (const i of [0, 1]) await waitFor(sees(i, 'reply', 'hi'), 15_000, () => `member ${i} never saw the reply: ${app.describe()}`);

    // A zone handle cannot cross processes: the sender gets a ZoneArgumentError that says why.
    app.send('1 send-handle');
    await waitFor(() => app.find((a) => a.index === 1 && a.error !== undefined) !== undefined, 10_000, () => app.describe());
    const refused = app.find((a) => a.index === 1 && a.error !== undefined)!;
    expect(refused.error).toBe('ZoneArgumentError');
    expect(refused.message).toMatch(/zone "shared": a zone handle cannot be sent as JSON .*SharedArrayBuffer.*startClusterMember/);

    // A worker that dies is replaced under the same index: the same address, the zone again by snapshot.
    const oldPid = app.find((a) => a.ready === true && a.index === 1)!.pid;
    app.send('1 exit 1');
    await waitFor(ready(1, oldPid), 30_000, () => `member 1 was not replaced: ${app.describe()}`);
    await waitFor(sees(1, 'greeting', 'hello'), 15_000, () => `the new member 1 never caught up: ${app.describe()}`);
    app.send('1 set back again');
    for (const i of [0, 2]) await waitFor(sees(i, 'back', 'again'), 15_000, () => `member ${i} never saw the new member's write: ${app.describe()}`);

    // The primary stops its members: each stops its node on disconnect, and every process exits.
    app.child.stdin!.end();
    await waitFor(() => app.find((a) => a.stopped === true) !== undefined, 30_000, () => `members did not stop: ${app.describe()}`);
    expect(await app.exited()).toBe(0);
  }, 120_000);
});

describe('processes placed by PM2\'s NODE_APP_INSTANCE, over unix sockets and loopback TCP', () => {
  it('share a zone; an instance killed and started again removes its stale socket and catches up; a second process with the same instance is refused', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const instance = (i: number) => start(['alone', dir], { NODE_APP_INSTANCE: String(i), ZONESYNC_CLUSTER_MEMBERS: '3' });
      const apps = [instance(0), instance(1), instance(2)];
      for (const [i, app] of apps.entries()) await waitFor(() => app.find((a) => a.ready === true) !== undefined, 30_000, () => `instance ${i}: ${app.describe()}`);
      const sees = (app: App, key: string, value: string) => async () => {
        app.send(`get ${key}`);
        await new Promise((r) => setTimeout(r, 20));
        return app.answers.some((a) => a.get === key && a.value === value);
      };
      apps[1]!.send('set color blue');
      for (const i of [0, 2]) await waitFor(sees(apps[i]!, 'color', 'blue'), 15_000, () => `instance ${i}: ${apps[i]!.describe()}`);

      // A second process as member 2 waits for the first to exit, and gives up after takeoverTimeoutMs.
      const duplicate = start(['alone', dir], { NODE_APP_INSTANCE: '2', ZONESYNC_CLUSTER_MEMBERS: '3', TAKEOVER_TIMEOUT_MS: '300' });
      expect(await duplicate.exited()).toBe(1);
      expect(duplicate.find((a) => typeof a.msg === 'string')?.msg).toBe(`cluster member 2 of 3: unix:${dir}/member-2.sock is in use; waiting up to 300 ms for the previous member 2 to exit`);
      expect(duplicate.find((a) => typeof a.failed === 'string')?.failed).toBe(`cluster member 2 of 3 cannot listen on unix:${dir}/member-2.sock: it is in use after 300 ms of waiting (another process runs as member 2, or another program has the address: choose basePort or socketDir)`);

      apps[2]!.kill(); // SIGKILL: its socket file stays behind
      await apps[2]!.exited();
      const again = instance(2);
      await waitFor(() => again.find((a) => a.ready === true) !== undefined, 30_000, () => `restarted instance 2: ${again.describe()}`);
      await waitFor(sees(again, 'color', 'blue'), 15_000, () => again.describe());
      again.send('set shape round');
      for (const i of [0, 1]) await waitFor(sees(apps[i]!, 'shape', 'round'), 15_000, () => `instance ${i}: ${apps[i]!.describe()}`);
    } finally {
      for (const app of running) app.kill();
      cleanup();
    }
  }, 120_000);

  it.each(['loopback TCP', 'unix sockets', 'loopback TCP, with a keyval state file'])('over %s, a new process of an instance started while the old one runs (PM2\'s reload) waits for it to exit, then takes its place and syncs', async (transport) => {
    const { dir, cleanup } = tempDir();
    try {
      const where = transport === 'unix sockets' ? dir : String(await consecutivePorts(2));
      const address = transport === 'unix sockets' ? `unix:${dir}/member-0.sock` : `127.0.0.1:${where}`;
      // With a state file, the old process holds its lock until it exits, after its address is free.
      const state = transport.endsWith('state file') ? { STATE_DIR: dir } : {};
      const instance = (i: number) => start(['alone', where], { NODE_APP_INSTANCE: String(i), ZONESYNC_CLUSTER_MEMBERS: '2', ...state });
      const ready = (app: App) => () => app.find((a) => a.ready === true) !== undefined;
      const sees = (app: App, key: string, value: string) => async () => {
        app.send(`get ${key}`);
        await new Promise((r) => setTimeout(r, 20));
        return app.answers.some((a) => a.get === key && a.value === value);
      };
      const [old, other] = [instance(0), instance(1)];
      for (const app of [old, other]) await waitFor(ready(app), 30_000, () => app.describe());
      old.send('set before reload');
      await waitFor(sees(other, 'before', 'reload'), 15_000, () => other.describe());

      // PM2 starts the new process first, and stops the old one only once the new one listens or a timeout passes.
      const next = instance(0);
      await waitFor(() => next.find((a) => typeof a.msg === 'string') !== undefined, 30_000, () => next.describe());
      expect(next.find((a) => typeof a.msg === 'string')!.msg).toBe(`cluster member 0 of 2: ${address} is in use; waiting up to 30000 ms for the previous member 0 to exit`);
      expect(next.find((a) => a.ready === true || a.failed !== undefined)).toBeUndefined();
      old.child.kill('SIGINT');
      expect(await old.exited()).toBe(0);

      await waitFor(ready(next), 30_000, () => `the new member 0 did not take over: ${next.describe()}`);
      await waitFor(sees(next, 'before', 'reload'), 15_000, () => next.describe());
      next.send('set after reload');
      await waitFor(sees(other, 'after', 'reload'), 15_000, () => other.describe());
      other.send('set from one');
      await waitFor(sees(next, 'from', 'one'), 15_000, () => next.describe());
    } finally {
      for (const app of running) app.kill();
      cleanup();
    }
  }, 120_000);
});
