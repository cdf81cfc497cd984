// A port free on several loopback addresses at once, for clusters whose nodes share one
// port on 127.0.0.1, 127.0.0.2, … (a DNS name's addresses with one zone_sync_server port).
import { createServer, type AddressInfo, type Server } from 'node:net';

export async function sharedPort(hosts: readonly string[]): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const first = createServer();
    const port = await new Promise<number>((resolve) => first.listen(0, hosts[0], () => resolve((first.address() as AddressInfo).port)));
    const others = await Promise.all(hosts.slice(1).map((host) => new Promise<Server | null>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(null));
      s.listen(port, host, () => resolve(s));
    })));
    await Promise.all([first, ...others].filter((s): s is Server => s !== null).map((s) => new Promise((r) => s.close(r))));
    if (others.every((s) => s !== null)) return port;
  }
  throw new Error(`no port free on all of ${hosts.join(', ')}`);
}
