// Raw HTTP/1.1 on a TCP socket, for requests no well-behaved client would send (bad methods,
// NUL bytes, huge heads, lying framing) and for seeing exactly how the server answers and
// closes: every byte it sent, whether it closed cleanly or reset the connection.
import net from 'node:net';

export interface RawResponse {
  status: number;
  /** Lower-case names; a repeated header keeps its last value. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface RawExchange {
  /** The complete responses read, in order. */
  responses: RawResponse[];
  /** Bytes after the last complete response (a response cut short, or garbage). */
  rest: Buffer;
  /** The server closed its side (FIN) before the client gave up. */
  closedByServer: boolean;
  /** The connection was reset (ECONNRESET/EPIPE) at some point. */
  reset: boolean;
}

export interface RawOptions {
  /** Half-close after writing (the server sees the request end), default false. */
  halfClose?: boolean;
  /** Stop reading once this many complete final (not 1xx) responses arrived; default: read until the server closes. */
  responses?: number;
  /** Give up after this long (a node that does not answer), default 10 s. */
  timeoutMs?: number;
  /** The request was HEAD: responses carry no body whatever their Content-Length says. */
  head?: boolean;
}

export function rawExchange(port: number, request: Buffer | string, options: RawOptions = {}): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let reset = false;
    let closedByServer = false;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parseResponses(Buffer.concat(chunks), options.head ?? false), closedByServer, reset });
    };
    const timer = setTimeout(finish, options.timeoutMs ?? 10_000);
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (options.responses === undefined) return;
      const final = parseResponses(Buffer.concat(chunks), options.head ?? false).responses.filter((r) => r.status >= 200);
      if (final.length >= options.responses) finish();
    });
    socket.on('end', () => {
      closedByServer = true;
      finish();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') reset = true;
      finish();
    });
    socket.on('close', finish);
    socket.write(request, () => {
      if (options.halfClose) socket.end();
    });
  });
}

/** Splits bytes into HTTP/1.1 responses (Content-Length, chunked, or until the end). */
export function parseResponses(bytes: Buffer, head: boolean): { responses: RawResponse[]; rest: Buffer } {
  const responses: RawResponse[] = [];
  let at = 0;
  for (;;) {
    const parsed = parseOne(bytes, at, head);
    if (parsed === null) break;
    responses.push(parsed.response);
    at = parsed.end;
    if (parsed.end === bytes.length) break;
  }
  return { responses, rest: bytes.subarray(at) };
}

function parseOne(bytes: Buffer, start: number, head: boolean): { response: RawResponse; end: number } | null {
  const headEnd = bytes.indexOf('\r\n\r\n', start);
  if (headEnd < 0) return null;
  const lines = bytes.subarray(start, headEnd).toString('latin1').split('\r\n');
  const statusLine = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0]!);
  if (statusLine === null) return null;
  const status = Number(statusLine[1]);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return null;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const bodyStart = headEnd + 4;
  // 1xx (100 Continue) is followed by the real response.
  if (status >= 100 && status < 200) return { response: { status, headers, body: Buffer.alloc(0) }, end: bodyStart };
  if (head || status === 204 || status === 304) return { response: { status, headers, body: Buffer.alloc(0) }, end: bodyStart };
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') return dechunk(bytes, bodyStart, status, headers);
  if (headers['content-length'] !== undefined) {
    const end = bodyStart + Number(headers['content-length']);
    if (end > bytes.length) return null;
    return { response: { status, headers, body: bytes.subarray(bodyStart, end) }, end };
  }
  return { response: { status, headers, body: bytes.subarray(bodyStart) }, end: bytes.length };
}

function dechunk(bytes: Buffer, start: number, status: number, headers: Record<string, string>): { response: RawResponse; end: number } | null {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd < 0) return null;
    const size = parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size)) return null;
    at = lineEnd + 2;
    if (size === 0) {
      const trailerEnd = bytes.indexOf('\r\n', at);
      if (trailerEnd < 0) return null;
      return { response: { status, headers, body: Buffer.concat(parts) }, end: trailerEnd + 2 };
    }
    if (at + size + 2 > bytes.length) return null;
    parts.push(bytes.subarray(at, at + size));
    at += size + 2;
  }
}

/** The NGINX Plus error body's fields, or null when the body is not one. */
export function errorBodyOf(body: Buffer): { status: number; code: string; text: string } | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  const b = parsed as { error?: { status?: unknown; code?: unknown; text?: unknown }; request_id?: unknown; href?: unknown };
  if (typeof b !== 'object' || b === null || typeof b.error !== 'object' || b.error === null) return null;
  const { status, code, text } = b.error;
  if (typeof status !== 'number' || typeof code !== 'string' || typeof text !== 'string') return null;
  if (typeof b.request_id !== 'string' || !/^[0-9a-f]{32}$/.test(b.request_id) || typeof b.href !== 'string') return null;
  return { status, code, text };
}

/**
 * One connection on which GETs go one after the other, each once the answer to the one
 * before is read, as a keep-alive client sends them; it sees whether and when the server
 * closes the connection.
 */
export class RawConnection {
  private bytes = Buffer.alloc(0);
  private answered = 0;
  /** The server closed its side (FIN or reset). */
  closedByServer = false;
  private wake: () => void = () => undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => { this.bytes = Buffer.concat([this.bytes, d]); this.wake(); });
    socket.on('end', () => { this.closedByServer = true; this.wake(); });
    socket.on('error', () => { this.closedByServer = true; this.wake(); });
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** GET `path` (Host `host`); resolves with its answer, rejects when the connection closes first or nothing comes in `timeoutMs`. */
  async get(path: string, host = 'localhost', timeoutMs = 15_000): Promise<RawResponse> {
    if (this.closedByServer) throw new Error(`GET ${path}: the server had closed the connection`);
    this.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    return this.answer(`GET ${path}`, timeoutMs);
  }

  /** Writes `bytes` as they are: a request's head, a piece of its body, or both. */
  write(bytes: string): void {
    this.socket.write(bytes);
  }

  /** The next final answer not yet returned (`what`: the request, for errors); rejects when the connection closes first or nothing comes in `timeoutMs`. */
  async answer(what: string, timeoutMs = 15_000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { responses } = parseResponses(this.bytes, false);
      const final = responses.filter((r) => r.status >= 200);
      if (final.length > this.answered) return final[this.answered++]!;
      if (this.closedByServer) throw new Error(`${what}: the server closed the connection without an answer`);
      if (Date.now() > deadline) throw new Error(`${what}: no answer in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.wake = () => { clearTimeout(timer); resolve(); };
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface SendingOptions {
  /** Body bytes written after the head, as the socket takes them; Infinity: until the connection breaks. */
  bodyBytes: number;
  /** Frame the body as chunked (the head says Transfer-Encoding: chunked); it is written in whole chunks. */
  chunked?: boolean;
  /** Stop writing this many body bytes after the answer and the server's FIN are in (default: write all of bodyBytes). */
  afterAnswerBytes?: number;
  /** Stop writing only once the answer and the server's FIN are in, even with all of bodyBytes written. */
  awaitAnswer?: boolean;
  /** Bytes of each write, default 64 KiB. */
  chunkBytes?: number;
  /** Wait this long between writes, default 0 (as fast as the socket takes them). */
  pauseMs?: number;
  /** The request was HEAD: responses carry no body. */
  head?: boolean;
  /** Written when the client stops writing the body: a pipelined request. */
  then?: string;
  /** Once it stops writing, the client half-closes and waits for the connection to close (default); false: it stays silent, socket open. */
  endAfter?: boolean;
  /** Give up after this long, default 20 s. */
  timeoutMs?: number;
  /** Called once the answer and the server's FIN are in. */
  onAnswer?: () => void;
}

export interface SendingExchange extends RawExchange {
  /** Body bytes the client wrote (to its socket; not all of them need have reached the server). */
  sentBytes: number;
  /** The socket, still open when endAfter was false (the caller destroys it). */
  socket: net.Socket;
  /** Nothing ended the exchange before timeoutMs. */
  timedOut: boolean;
}

/**
 * A request whose body the client goes on sending while the server answers, as an uploading
 * client does: the head, then body bytes as fast as the socket takes them (or paced), while
 * reading whatever the server sends. The client stops writing when the body is all written,
 * `afterAnswerBytes` after the answer and the server's FIN, or when the connection breaks;
 * then it half-closes and resolves once the connection is closed (or at once, `endAfter`
 * false). It sees whether the server closed with a FIN, and whether a reset came.
 */
export function sendingExchange(port: number, head: string, options: SendingOptions): Promise<SendingExchange> {
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  const data = Buffer.alloc(chunkBytes, 0x78);
  const framed = Buffer.concat([Buffer.from(`${chunkBytes.toString(16)}\r\n`), data, Buffer.from('\r\n')]);
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const received: Buffer[] = [];
    let sentBytes = 0;
    /** sentBytes when the answer was in; null before. */
    let sentAtAnswer: number | null = null;
    let closedByServer = false;
    let reset = false;
    let stopped = false;
    /** All of bodyBytes is written and the client waits for the answer to stop (awaitAnswer, afterAnswerBytes). */
    let idle = false;
    let done = false;
    const finish = (timedOut: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...parseResponses(Buffer.concat(received), options.head ?? false), closedByServer, reset, sentBytes, socket, timedOut });
    };
    const timer = setTimeout(() => {
      socket.destroy();
      finish(true);
    }, options.timeoutMs ?? 20_000);
    const answerIn = (): boolean => sentAtAnswer !== null && closedByServer;
    const enough = (): boolean => {
      if (options.afterAnswerBytes !== undefined && answerIn() && sentBytes - sentAtAnswer! >= options.afterAnswerBytes) return true;
      return sentBytes >= options.bodyBytes && (options.awaitAnswer !== true || answerIn());
    };
    const stop = (): void => {
      stopped = true;
      if (options.then !== undefined) socket.write(options.then);
      if (options.endAfter === false) finish(false);
      else socket.end();
    };
    const pump = (): void => {
      idle = false;
      while (!stopped && !socket.destroyed) {
        if (enough()) return stop();
        if (sentBytes >= options.bodyBytes) return void (idle = true);
        const piece = options.chunked === true ? framed : data.subarray(0, Math.min(chunkBytes, options.bodyBytes - sentBytes));
        sentBytes += options.chunked === true ? chunkBytes : piece.length;
        if (!socket.write(piece)) return void socket.once('drain', pump);
        if (options.pauseMs !== undefined) return void setTimeout(pump, options.pauseMs);
      }
    };
    const arrived = (): void => {
      if (answerIn()) options.onAnswer?.();
      if (idle) pump();
    };
    socket.on('data', (d: Buffer) => {
      received.push(d);
      if (sentAtAnswer === null && parseResponses(Buffer.concat(received), options.head ?? false).responses.some((r) => r.status >= 200)) {
        sentAtAnswer = sentBytes;
        arrived();
      }
    });
    socket.on('end', () => {
      closedByServer = true;
      arrived();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') reset = true;
    });
    socket.on('close', () => finish(false));
    socket.write(head, pump);
  });
}
