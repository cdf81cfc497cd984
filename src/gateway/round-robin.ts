import type { UpstreamServerConfig } from '../config/types.js';
import { PeerState } from './peer-state.js';

/** One server of a group as the balancer sees it. */
export interface Peer {
  /** As the configuration names it ("10.0.0.1:8080"): the value sticky sessions store, and $upstream_addr. */
  readonly name: string;
  readonly server: UpstreamServerConfig;
  /** Its index in its set (the primary servers, or the backup ones). */
  readonly index: number;
  /** Its index among the upstream's servers as configured (the API's peer id). */
  readonly id: number;
  readonly backup: boolean;
}

/** The servers of one set (primary or backup) and their state. */
class PeerSet {
  readonly peers: readonly Peer[];
  readonly state: PeerState;
  /** One server and no backup: nginx never counts its failures and never retries it. */
  readonly single: boolean;

  constructor(peers: readonly Peer[], state: PeerState, single: boolean) {
    this.peers = peers;
    this.state = state;
    this.single = single;
  }
}

/** The balancer's state for one request: the servers tried, and the set it is choosing from. */
export class PeerChoice {
  readonly tried: [Set<number>, Set<number>] = [new Set(), new Set()];
  /** Tries left (nginx's pc->tries): the number of servers at first. */
  tries: number;

  constructor(tries: number) {
    this.tries = tries;
  }
}

/** What became of a request sent to a peer, for the balancer's accounting. */
export type PeerOutcome = 'success' | 'failure' | 'neutral';

/**
 * nginx's weighted round-robin balancer (ngx_http_upstream_round_robin.c): smooth weighted
 * round robin over the primary servers that are not down, not failed (max_fails failures
 * within fail_timeout) and not at max_conns; the backup servers only when no primary server
 * can be chosen. A failure lowers a server's effective weight by weight / max_fails, which
 * then climbs back by one per choice. A sticky session's server (the hint) is chosen when it
 * can be, as NGINX Plus's balancer does with a hint.
 */
export class RoundRobin {
  readonly name: string;
  private readonly sets: [PeerSet, PeerSet | null];
  private readonly byName = new Map<string, Peer>();
  private readonly now: () => number;

  /**
   * `shared`: the group's state buffers (primary, backup) when the upstream has a zone;
   * without, each thread keeps its own.
   */
  constructor(name: string, servers: readonly UpstreamServerConfig[], shared: SharedPeerStates | null = null, now: () => number = Date.now) {
    this.name = name;
    this.now = now;
    const primary = servers.filter((s) => !s.backup);
    const backup = servers.filter((s) => s.backup);
    const peersOf = (list: readonly UpstreamServerConfig[], isBackup: boolean): Peer[] =>
      list.map((server, index) => ({ name: server.text, server, index, id: servers.indexOf(server), backup: isBackup }));
    const primaryPeers = peersOf(primary, false);
    const backupPeers = peersOf(backup, true);
    const stateOf = (peers: readonly Peer[], buffer: SharedArrayBuffer | undefined): PeerState =>
      buffer === undefined ? PeerState.local(peers.map((p) => p.server.weight)) : PeerState.attach(buffer);
    this.sets = [
      new PeerSet(primaryPeers, stateOf(primaryPeers, shared?.primary), primaryPeers.length === 1 && backupPeers.length === 0),
      backupPeers.length === 0 ? null : new PeerSet(backupPeers, stateOf(backupPeers, shared?.backup ?? undefined), false),
    ];
    for (const p of [...primaryPeers, ...backupPeers]) if (!this.byName.has(p.name)) this.byName.set(p.name, p);
  }

  /** The state buffers an upstream with `zone` shares between threads; made once, by the primary. */
  static createSharedStates(servers: readonly UpstreamServerConfig[]): SharedPeerStates {
    const primary = servers.filter((s) => !s.backup).map((s) => s.weight);
    const backup = servers.filter((s) => s.backup).map((s) => s.weight);
    return { primary: PeerState.createShared(primary), backup: backup.length === 0 ? null : PeerState.createShared(backup) };
  }

  /** A new request's choice: as many tries as servers (ngx_http_upstream_tries). */
  newChoice(): PeerChoice {
    return new PeerChoice(this.sets[0].peers.length + (this.sets[1]?.peers.length ?? 0));
  }

  /** The server of that name, if the group has it. */
  peerNamed(name: string): Peer | undefined {
    return this.byName.get(name);
  }

  /**
   * The next server to try, or null when none can be chosen ("no live upstreams"). `hint`
   * names a server to prefer, if it can be chosen. The chosen server counts one connection
   * until `release`.
   */
  select(choice: PeerChoice, hint?: string): Peer | null {
    const primary = this.choose(0, choice, hint);
    if (primary !== null) return primary;
    return this.sets[1] === null ? null : this.choose(1, choice, hint);
  }

  private choose(setIndex: 0 | 1, choice: PeerChoice, hint: string | undefined): Peer | null {
    const set = this.sets[setIndex]!;
    const tried = choice.tried[setIndex];
    return set.state.locked(() => {
      let chosen: Peer | null;
      if (set.single) {
        const only = set.peers[0]!;
        chosen = only.server.down || this.atMaxConns(set, 0) ? null : only;
      } else {
        const hinted = hint === undefined ? undefined : set.peers.find((p) => p.name === hint);
        chosen = hinted !== undefined && !tried.has(hinted.index) && this.usable(set, hinted.index) ? hinted : this.weighted(set, tried);
      }
      if (chosen === null) return null;
      tried.add(chosen.index);
      set.state.set(chosen.index, 'conns', set.state.get(chosen.index, 'conns') + 1);
      return chosen;
    });
  }

  private usable(set: PeerSet, i: number): boolean {
    const peer = set.peers[i]!;
    if (peer.server.down) return false;
    const { maxFails, failTimeoutMs } = peer.server;
    if (maxFails > 0 && set.state.get(i, 'fails') >= maxFails && this.now() - set.state.get(i, 'checkedMs') <= failTimeoutMs) return false;
    return !this.atMaxConns(set, i);
  }

  private atMaxConns(set: PeerSet, i: number): boolean {
    const max = set.peers[i]!.server.maxConns;
    return max > 0 && set.state.get(i, 'conns') >= max;
  }

  /* ngx_http_upstream_get_peer: smooth weighted round robin among the usable, untried peers. */
  private weighted(set: PeerSet, tried: ReadonlySet<number>): Peer | null {
    const state = set.state;
    let best = -1;
    let total = 0;
    for (let i = 0; i < set.peers.length; i++) {
      if (tried.has(i) || !this.usable(set, i)) continue;
      const effective = state.get(i, 'effectiveWeight');
      state.set(i, 'currentWeight', state.get(i, 'currentWeight') + effective);
      total += effective;
      if (effective < set.peers[i]!.server.weight) state.set(i, 'effectiveWeight', effective + 1);
      if (best < 0 || state.get(i, 'currentWeight') > state.get(best, 'currentWeight')) best = i;
    }
    if (best < 0) return null;
    state.set(best, 'currentWeight', state.get(best, 'currentWeight') - total);
    const now = this.now();
    if (now - state.get(best, 'checkedMs') > set.peers[best]!.server.failTimeoutMs) state.set(best, 'checkedMs', now);
    return set.peers[best]!;
  }

  /**
   * ngx_http_upstream_free_round_robin_peer: a failure counts toward max_fails and lowers the
   * effective weight; a success after the failure window clears the failures. A single server
   * is never accounted, and leaves no tries.
   */
  release(peer: Peer, choice: PeerChoice, outcome: PeerOutcome): void {
    const set = this.sets[peer.backup ? 1 : 0]!;
    const i = peer.index;
    set.state.locked(() => {
      const state = set.state;
      state.set(i, 'conns', state.get(i, 'conns') - 1);
      if (set.single) return;
      if (outcome === 'failure') {
        const now = this.now();
        state.set(i, 'fails', state.get(i, 'fails') + 1);
        state.set(i, 'accessedMs', now);
        state.set(i, 'checkedMs', now);
        const { maxFails, weight } = peer.server;
        if (maxFails > 0) state.set(i, 'effectiveWeight', Math.max(0, state.get(i, 'effectiveWeight') - Math.floor(weight / maxFails)));
      } else if (outcome === 'success' && state.get(i, 'accessedMs') < state.get(i, 'checkedMs')) {
        state.set(i, 'fails', 0);
      }
    });
    choice.tries = set.single ? 0 : Math.max(0, choice.tries - 1);
  }

  /** Whether a server has failed max_fails times within fail_timeout (for tests and status). */
  unavailable(peer: Peer): boolean {
    const set = this.sets[peer.backup ? 1 : 0]!;
    return set.state.locked(() => !peer.server.down && !this.usable(set, peer.index) && !this.atMaxConns(set, peer.index));
  }
}

export interface SharedPeerStates {
  readonly primary: SharedArrayBuffer;
  readonly backup: SharedArrayBuffer | null;
}
