// The deployment examples, checked without a container engine or a cluster: the Dockerfile
// read directive by directive, the Kubernetes manifests parsed, and the configurations they
// carry parsed by zonesync itself, so that probes, ports and names agree with them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseConfigText } from '../../dist/config/index.js';
import type { HttpLocationConfig, ZonesyncConfig } from '../../dist/config/types.js';

/** Time a stop needs past worker_shutdown_timeout: the last sync round and the state files' save. */
const LAST_ROUND_ROOM_MS = 10_000;

const file = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const read = (path: string) => readFileSync(file(path), 'utf8');

/** The location that serves `path` exactly, on a server listening on `port`. */
function locationAt(config: ZonesyncConfig, port: number, path: string): HttpLocationConfig | undefined {
  const server = config.http?.servers.find((s) => s.listen.some((l) => l.address.kind === 'tcp' && l.address.port === port));
  return server?.locations.find((l) => l.modifier === 'exact' && l.pattern === path);
}

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(text: string): { name: string; args: string }[] {
  return text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => { const [name, ...rest] = l.split(/\s+/); return { name: name!.toUpperCase(), args: rest.join(' ') }; });
}

describe('examples/Dockerfile', () => {
  const steps = instructions(read('examples/Dockerfile'));
  const finalStage = steps.slice(steps.findLastIndex((s) => s.name === 'FROM'));
  const one = (name: string) => {
    const found = finalStage.filter((s) => s.name === name);
    expect(found, name).toHaveLength(1);
    return found[0]!.args;
  };

  it('runs a supported Node.js, as a user that is not root, stopped gracefully by SIGQUIT', () => {
    for (const from of steps.filter((s) => s.name === 'FROM')) expect(from.args).toMatch(/^node:(20|22|24)-slim\b/);
    expect(one('USER')).toBe('node');
    expect(one('STOPSIGNAL')).toBe('SIGQUIT');
    expect(one('ENTRYPOINT')).toBe('["node", "/app/node_modules/zonesync/dist/primary.js"]');
  });

  it('installs what npm pack gives, the way a user installs the package', () => {
    const build = steps.slice(0, steps.findLastIndex((s) => s.name === 'FROM'));
    expect(build.find((s) => s.name === 'RUN')?.args).toMatch(/npm ci .*&& npm pack --pack-destination \/tmp/);
    expect(finalStage.find((s) => s.name === 'RUN')?.args).toMatch(/^npm install --omit=dev .*\/tmp\/zonesync-\*\.tgz/);
  });

  it('checks health at a `zonesync_health live` location of the default configuration', () => {
    const env = finalStage.filter((s) => s.name === 'ENV').map((s) => s.args);
    const url = new URL(env.find((e) => e.startsWith('ZONESYNC_HEALTH_URL='))!.slice('ZONESYNC_HEALTH_URL='.length));
    expect(one('HEALTHCHECK')).toContain('fetch(process.env.ZONESYNC_HEALTH_URL)');
    const config = parseConfigText(read('examples/zonesync.conf'), file('examples/zonesync.conf'));
    expect(url.hostname).toBe('127.0.0.1');
    expect(locationAt(config, Number(url.port), url.pathname)?.health).toBe('live');
    expect(one('EXPOSE').split(' ').map(Number)).toEqual([8080, 12345]);
  });

  it('runs its examples with a stop timeout above the default configuration\'s worker_shutdown_timeout (docker stop kills after 10 s)', () => {
    const config = parseConfigText(read('examples/zonesync.conf'), file('examples/zonesync.conf'));
    const runs = [read('examples/Dockerfile'), read('README.md')].flatMap((text) => [...text.matchAll(/docker run[^\n]*/g)].map((m) => m[0]));
    expect(runs.length).toBeGreaterThanOrEqual(3);
    for (const run of runs) {
      const seconds = Number(/--stop-timeout (\d+)/.exec(run)?.[1]);
      expect(seconds * 1000, run).toBeGreaterThanOrEqual(config.workerShutdownTimeoutMs + LAST_ROUND_ROOM_MS);
    }
  });

  it('leaves out of the build context what a build makes', () => {
    const ignored = read('examples/Dockerfile.dockerignore').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    for (const path of ['node_modules', 'dist', 'dist-bench', 'native-free-shm/dist', '.git']) expect(ignored).toContain(path);
  });
});

describe('examples/kubernetes/zonesync.yaml', () => {
  const documents = parseAllDocuments(read('examples/kubernetes/zonesync.yaml'));
  const objects = documents.map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as { kind: string; metadata: { name: string; namespace?: string }; spec: any; data?: Record<string, string> };
  });
  const ofKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const namespace = ofKind('Namespace')[0]!.metadata.name;
  const deployment = ofKind('Deployment')[0]!;
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  const configMap = ofKind('ConfigMap')[0]!;
  const configText = configMap.data!['zonesync.conf']!;
  const config = parseConfigText(configText, '/etc/zonesync/zonesync.conf');
  const headless = ofKind('Service').find((s) => s.spec.clusterIP === 'None')!;
  const portOf = (name: string) => container.ports.find((p: { name: string }) => p.name === name).containerPort as number;

  it('puts every object in the one namespace', () => {
    for (const o of objects.filter((x) => x.kind !== 'Namespace')) expect(o.metadata.namespace, o.kind).toBe(namespace);
  });

  it('gives the nodes a headless Service that publishes pods before they are ready, and that the configuration resolves', () => {
    expect(headless.spec.publishNotReadyAddresses).toBe(true);
    for (const service of ofKind('Service')) expect(service.spec.selector, service.metadata.name).toEqual(deployment.spec.template.metadata.labels);
    expect(deployment.spec.selector.matchLabels).toEqual(deployment.spec.template.metadata.labels);
    const sync = config.stream!.sync!;
    expect(sync.resolver).toBeNull(); // the pod's own name servers
    expect(sync.peers).toHaveLength(1);
    expect(sync.peers[0]).toMatchObject({
      resolve: true, address: { kind: 'tcp', host: `${headless.metadata.name}.${namespace}.svc.cluster.local`, port: headless.spec.ports[0].port },
    });
    expect(sync.listen[0]!.address).toEqual({ kind: 'tcp', host: '0.0.0.0', port: portOf(headless.spec.ports[0].targetPort) });
  });

  it('probes readiness and liveness at the configuration\'s zonesync_health locations', () => {
    const http = portOf(container.readinessProbe.httpGet.port);
    expect(locationAt(config, http, container.readinessProbe.httpGet.path)?.health).toBe('ready');
    expect(locationAt(config, portOf(container.livenessProbe.httpGet.port), container.livenessProbe.httpGet.path)?.health).toBe('live');
  });

  it('runs the node on the mounted configuration, as a user that is not root, stopped by QUIT first', () => {
    const mount = container.volumeMounts.find((m: { name: string }) => m.name === 'config');
    expect(container.args).toEqual(['-c', `${mount.mountPath}/zonesync.conf`]);
    expect(pod.volumes.find((v: { name: string }) => v.name === 'config').configMap.name).toBe(configMap.metadata.name);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    expect(container.lifecycle.preStop.exec.command).toEqual(['/bin/sh', '-c', 'kill -QUIT 1']);
  });

  it('gives a graceful stop more time than worker_shutdown_timeout before the kubelet\'s SIGKILL', () => {
    expect(configText).toMatch(/^\s*worker_shutdown_timeout /m);
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThanOrEqual(config.workerShutdownTimeoutMs + LAST_ROUND_ROOM_MS);
  });

  it('says at every listener that allows the example\'s pod network that it is one to rewrite', () => {
    const servers = configText.split(/^\s*server \{/m).slice(1);
    const allowing = servers.filter((server) => /allow 10\.0\.0\.0\/8;/.test(server));
    expect(allowing).toHaveLength(2); // the HTTP server and the sync listener
    for (const server of allowing) expect(server).toContain('# 10.0.0.0/8: the pod network here; write your cluster\'s.');
  });

  it('opens the sync port to the nodes only', () => {
    const policy = ofKind('NetworkPolicy')[0]!;
    const syncRule = policy.spec.ingress.find((r: { ports: { port: number }[] }) => r.ports.some((p) => p.port === headless.spec.ports[0].port));
    expect(syncRule.from).toEqual([{ podSelector: { matchLabels: deployment.spec.template.metadata.labels } }]);
  });
});
