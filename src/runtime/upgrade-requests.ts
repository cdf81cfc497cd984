import type http from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * A request that asked for an upgrade (Connection: upgrade, Upgrade: …) at a location that
 * does not pass upgrades, handed back to the server as an ordinary request, as nginx serves
 * it: its head is written again without the "upgrade" token of its Connection field (so the
 * parser does not take it for an upgrade; its Upgrade field stays for $http_upgrade) and put
 * back in front of what the client sent after it, and the server reads the connection anew.
 * Node's HTTP server hands the socket of an upgrade request over with its parser gone;
 * reading it again through 'connection' is the same on Node 20, 22 and 24.
 */
export function serveAsOrdinaryRequest(server: http.Server, req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const [name, value] = [raw[i]!, raw[i + 1]!];
    if (name.toLowerCase() !== 'connection') {
      lines.push(`${name}: ${value}`);
      continue;
    }
    const tokens = value.split(',').map((t) => t.trim()).filter((t) => t !== '' && t.toLowerCase() !== 'upgrade');
    if (tokens.length > 0) lines.push(`${name}: ${tokens.join(', ')}`);
  }
  socket.unshift(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), head]));
  server.emit('connection', socket);
}
