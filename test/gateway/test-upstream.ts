// Real upstream servers on 127.0.0.1 for the gateway's tests: plain node:http servers that
// record what reaches them and answer as each test tells them to.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly bodyBytes: number;
  /** Which of the server's connections carried it (1 for the first accepted). */
  readonly connection: number;
  /** Over TLS: the SNI name the client sent (false: none), and the subject CN of its certificate ('' when none). */
  readonly tls?: { readonly servername: string | false; readonly clientCertificate: string };
}

export type UpstreamBehaviour = (req: http.IncomingMessage, res: http.ServerResponse, upstream: TestUpstream) => void;

/**
 * An application that keeps sessions: a request without its session cookie gets a new one
 * (Set-Cookie), as the admin guide's backends do; every answer names the server.
 */
export function sessionApp(cookieName = 'session'): UpstreamBehaviour {
  let next = 0;
  return (req, res, upstream) => {
    const has = new RegExp(`(^|;\\s*)${cookieName}=`).test(req.headers.cookie ?? '');
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json' };
    if (!has) headers['set-cookie'] = [`${cookieName}=${upstream.name}-${++next}; Path=/; HttpOnly`, 'theme=dark'];
    res.writeHead(200, headers);
    res.end(JSON.stringify({ server: upstream.name, url: req.url }));
  };
}

export class TestUpstream {
  readonly name: string;
  readonly seen: SeenRequest[] = [];
  behaviour: UpstreamBehaviour;
  /** Connections accepted so far, and open now. */
  accepted = 0;
  open = 0;
  private readonly server: http.Server | https.Server;
  private readonly connectionIds = new WeakMap<Socket, number>();

  /** `readsBody`: the behaviour reads the request body itself (recorded with 0 bytes); else it runs once the body is in. */
  private constructor(name: string, behaviour: UpstreamBehaviour, readsBody: boolean, tls: https.ServerOptions | null) {
    this.name = name;
    this.behaviour = behaviour;
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      let bodyBytes = 0;
      const connection = this.connectionIds.get(req.socket) ?? 0;
      const record = (): void => {
        this.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyBytes, connection, ...(tls === null ? {} : { tls: tlsFacts(req.socket as TLSSocket) }) });
      };
      if (readsBody) {
        record();
        this.behaviour(req, res, this);
        return;
      }
      req.on('data', (c: Buffer) => { bodyBytes += c.length; });
      req.on('end', () => {
        record();
        this.behaviour(req, res, this);
      });
    };
    this.server = tls === null ? http.createServer(onRequest) : https.createServer(tls, onRequest);
    // Over TLS the requests' socket is the TLS one, made at the end of the handshake.
    this.server.on(tls === null ? 'connection' : 'secureConnection', (socket: Socket) => {
      this.connectionIds.set(socket, ++this.accepted);
      this.open++;
      socket.once('close', () => { this.open--; });
    });
    this.server.keepAliveTimeout = 30_000;
  }

  /** `tls`: an HTTPS server with these options (a certificate asked of clients is recorded, never required). */
  static async start(
    name: string, behaviour: UpstreamBehaviour = sessionApp(), options: { readsBody?: boolean; tls?: https.ServerOptions } = {},
  ): Promise<TestUpstream> {
    const upstream = new TestUpstream(name, behaviour, options.readsBody === true, options.tls ?? null);
    await new Promise<void>((resolve) => upstream.server.listen(0, '127.0.0.1', resolve));
    return upstream;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function tlsFacts(socket: TLSSocket): NonNullable<SeenRequest['tls']> {
  const certificate = socket.getPeerCertificate();
  return { servername: (socket as TLSSocket & { servername: string | false }).servername, clientCertificate: certificate?.subject?.CN ?? '' };
}

/** A request on a connection of its own, so that the node's threads share the requests as the kernel spreads connections. */
export function fresh(port: number, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    http.get({ port, path, agent: false }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    }).on('error', reject);
  });
}

/** A request through the gateway: status, headers and body as text. */
export async function get(port: number, path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; text: string; json: any }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { redirect: 'manual', ...init });
  const text = await r.text();
  let json: unknown;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, headers: r.headers, text, json };
}

/** The session cookie an answer set ("name=value"), or throws. */
export function sessionCookie(headers: Headers, name = 'session'): string {
  const found = headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith(`${name}=`));
  if (found === undefined) throw new Error(`no ${name} cookie in ${JSON.stringify(headers.getSetCookie())}`);
  return found;
}
