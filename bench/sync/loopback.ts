// The baseline: bytes piped through a loopback TCP socket in this process, as fast as it goes,
// in 64 KiB writes; reported as records per second of the same wire size.
import { createConnection, createServer } from 'node:net';

export async function measureLoopback(totalBytes: number, recordBytes: number): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  let received = 0;
  const done = new Promise<void>((resolve) => {
    server.on('connection', (socket) => socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= totalBytes) resolve();
    }));
  });
  const client = createConnection({ host: '127.0.0.1', port });
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  const chunk = Buffer.alloc(64 * 1024, 7);
  const started = performance.now();
  let sent = 0;
  const pump = () => {
    while (sent < totalBytes) {
      sent += chunk.length;
      if (!client.write(chunk)) {
        client.once('drain', pump);
        return;
      }
    }
  };
  pump();
  await done;
  const seconds = (performance.now() - started) / 1000;
  client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return totalBytes / recordBytes / seconds;
}
