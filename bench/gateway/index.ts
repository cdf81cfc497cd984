// bench:gateway: requests per second through zonesync's proxy_pass to a plain Node upstream,
// against the same upstream asked directly and against nginx proxying it, in the same run.
// Rounds alternate the order of the three; each figure is the median of its rounds.
//
//   npm run bench:gateway [-- --quick]
//
// Prints a table, then one JSON line: proxied_vs_direct (zonesync ÷ direct) and
// zonesync_vs_nginx (zonesync ÷ nginx; null, with the reason printed, where nginx is absent).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quick, ratio } from '../lib/report.js';
import { wrk, wrkMissing } from './load.js';

const CONNECTIONS = 64;
const SECONDS = quick ? 3 : 8;
const ROUNDS = 3;
const PRIMARY = fileURLToPath(new URL('../../dist/primary.js', import.meta.url));
const UPSTREAM = fileURLToPath(new URL('./upstream.js', import.meta.url));

interface Started {
  child: ChildProcess;
  output: () => string;
}

function start(command: string, args: string[], readyWhen: RegExp): Promise<Started> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start:\n${output}`)), 20_000);
    const seen = (chunk: Buffer): void => {
      output += chunk;
      if (readyWhen.test(output)) {
        clearTimeout(timer);
        resolve({ child, output: () => output });
      }
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}:\n${output}`)));
  });
}

async function stop(p: Started): Promise<void> {
  if (p.child.exitCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGTERM');
  await exited;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Waits until something accepts connections on the port. */
async function listening(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing answers on port ${port}`);
}

function nginxMissing(): string | null {
  try {
    execFileSync('nginx', ['-v'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'nginx is not installed (apt-get install -y nginx)';
  }
}

/* The same upstream block for both proxies: its one server, connections kept. */
const upstreamBlock = (upstream: number): string => `upstream app {
        server 127.0.0.1:${upstream};
        keepalive ${CONNECTIONS};
    }`;

function zonesyncConfig(port: number, upstream: number): string {
  return `worker_processes 1;
http {
    ${upstreamBlock(upstream)}
    server {
        listen 127.0.0.1:${port};
        location / {
            proxy_pass http://app;
        }
    }
}
`;
}

/* nginx as it is usually set up to proxy with kept connections: HTTP/1.1, Connection cleared, no access log. */
function nginxConfig(dir: string, port: number, upstream: number): string {
  return `worker_processes 1;
daemon off;
master_process on;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'nginx-error.log')} error;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path ${join(dir, 'body')};
    proxy_temp_path ${join(dir, 'proxy')};
    fastcgi_temp_path ${join(dir, 'fastcgi')};
    uwsgi_temp_path ${join(dir, 'uwsgi')};
    scgi_temp_path ${join(dir, 'scgi')};
    ${upstreamBlock(upstream)}
    server {
        listen 127.0.0.1:${port};
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
`;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const noWrk = wrkMissing();
  if (noWrk !== null) throw new Error(`bench:gateway needs wrk: ${noWrk}`);
  const dir = mkdtempSync(join(tmpdir(), 'zonesync-bench-gateway-'));
  const started: Started[] = [];
  try {
    const upstreamPort = await freePort();
    started.push(await start(process.execPath, [UPSTREAM, String(upstreamPort)], /listening \d+/));

    const zonesyncPort = await freePort();
    const zsConf = join(dir, 'zonesync.conf');
    writeFileSync(zsConf, zonesyncConfig(zonesyncPort, upstreamPort));
    started.push(await start(process.execPath, [PRIMARY, '-c', zsConf, '--workers', '1'], /serving http:\/\//));

    const targets: Array<{ name: string; url: string }> = [
      { name: 'direct', url: `http://127.0.0.1:${upstreamPort}/` },
      { name: 'zonesync', url: `http://127.0.0.1:${zonesyncPort}/` },
    ];
    const noNginx = nginxMissing();
    if (noNginx === null) {
      const nginxPort = await freePort();
      const conf = join(dir, 'nginx.conf');
      writeFileSync(conf, nginxConfig(dir, nginxPort, upstreamPort));
      started.push(await startNginx(conf, dir, nginxPort));
      targets.push({ name: 'nginx', url: `http://127.0.0.1:${nginxPort}/` });
    } else {
      console.log(`nginx row skipped: ${noNginx}`);
    }

    const results = new Map<string, number[]>(targets.map((t) => [t.name, []]));
    for (const t of targets) await wrk(t.url, CONNECTIONS, 1); // warm-up: connections, JIT
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const t of order) {
        const load = await wrk(t.url, CONNECTIONS, SECONDS);
        if (load.failures > 0) throw new Error(`${t.name}: ${load.failures} failed requests`);
        results.get(t.name)!.push(load.requestsPerSec);
      }
    }
    const rps = (name: string): number | null => (results.has(name) ? median(results.get(name)!) : null);
    console.table(targets.map((t) => ({
      target: t.name, 'req/s (median)': Math.round(rps(t.name)!).toLocaleString('en-US'),
      rounds: results.get(t.name)!.map((r) => Math.round(r)).join(' '),
    })));
    const zs = rps('zonesync')!;
    const nginx = rps('nginx');
    console.log(JSON.stringify({
      suite: 'gateway', connections: CONNECTIONS, seconds: SECONDS, rounds: ROUNDS,
      direct_rps: Math.round(rps('direct')!), zonesync_rps: Math.round(zs), nginx_rps: nginx === null ? null : Math.round(nginx),
      proxied_vs_direct: ratio(zs, rps('direct')!), zonesync_vs_nginx: nginx === null ? null : ratio(zs, nginx),
    }));
  } finally {
    for (const p of started.reverse()) await stop(p);
    rmSync(dir, { recursive: true, force: true });
  }
}

/* nginx prints nothing when it starts well: it is ready when its port answers. */
async function startNginx(conf: string, dir: string, port: number): Promise<Started> {
  const child = spawn('nginx', ['-p', dir, '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => { output += d; });
  child.stderr!.on('data', (d) => { output += d; });
  await listening(port);
  return { child, output: () => output };
}

await main();
