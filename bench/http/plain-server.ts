/**
 * The baseline: a plain single-process Node HTTP server answering every request with the
 * same body as zonesync's default handler. argv: port, body. Prints "listening" when ready.
 */
import http from 'node:http';

const [portText, body] = process.argv.slice(2);
const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(body);
});
server.keepAliveTimeout = 5_000;
server.listen(Number(portText), '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => process.exit(0));
