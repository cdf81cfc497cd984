// The upstream of the gateway benchmark: a plain node:http server in a process of its own,
// answering every request with a small fixed body. Prints "listening PORT".
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const body = Buffer.from('hello from the upstream\n');
const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(body.length) });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  console.log(`listening ${(server.address() as AddressInfo).port}`);
});
