import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { onBodyBroken } from '../api/body.js';
import type { ApiError } from '../api/errors.js';

/**
 * A client's request body, handed to one upstream attempt after another without being read
 * ahead: each attempt gets a fresh stream that pulls from the client only when the upstream
 * connection asks for bytes. Once any byte has gone to an attempt (`started`), the body
 * cannot be sent again, so the request cannot go to another server (nginx with
 * proxy_request_buffering off); an attempt that failed before that leaves the body whole.
 * While the upstream leaves what was handed to it unread, proxy_send_timeout runs: when it
 * is over, the attempt fails with a timeout.
 */
export class BodySource {
  private readonly req: IncomingMessage;
  private current: Readable | null = null;
  private startedFlag = false;
  private bytes = 0;
  private readonly sendTimeoutMs: number;
  private sendTimer: NodeJS.Timeout | null = null;
  /** Bytes handed to the current attempt. */
  attemptBytes = 0;
  /** The body grew past client_max_body_size (0: no limit) on its way: the attempt was cut. */
  tooLarge = false;
  /** The connection's parser found the body broken (bad chunked framing, the client gone): the answer to give, if any can be. */
  broken: ApiError | null = null;

  constructor(req: IncomingMessage, maxBytes: number, sendTimeoutMs: number) {
    this.req = req;
    this.sendTimeoutMs = sendTimeoutMs;
    req.pause();
    req.on('data', (chunk: Buffer) => {
      this.startedFlag = true;
      this.bytes += chunk.length;
      if (maxBytes > 0 && this.bytes > maxBytes) {
        this.tooLarge = true;
        this.current?.destroy(new Error('request body larger than client_max_body_size'));
        req.pause();
        return;
      }
      this.attemptBytes += chunk.length;
      if (this.current?.push(chunk) === false) {
        req.pause();
        this.awaitUpstream();
      }
    });
    req.on('end', () => this.current?.push(null));
    req.on('error', (err) => this.current?.destroy(err));
    req.on('close', () => {
      if (!req.complete) this.current?.destroy(new Error('the client closed the request before its body ended'));
    });
    onBodyBroken(req, (error) => {
      this.broken = error;
      this.current?.destroy(error);
    });
  }

  get started(): boolean {
    return this.startedFlag;
  }

  /** The body for the next attempt; the previous attempt's stream, if any, is left. */
  stream(): Readable {
    const req = this.req;
    this.stopSendTimer();
    const stream = new Readable({
      read: () => {
        this.stopSendTimer();
        req.resume();
      },
      destroy: (error, callback) => {
        this.stopSendTimer();
        callback(error);
      },
    });
    // Whoever reads the stream has its own error listener; this one keeps a late proxy_send_timeout from being unhandled.
    stream.on('error', () => undefined);
    this.current = stream;
    this.attemptBytes = 0;
    return stream;
  }

  /** The upstream has not read what it was handed: it has proxy_send_timeout to read more. */
  private awaitUpstream(): void {
    if (this.sendTimer !== null) return;
    const current = this.current;
    this.sendTimer = setTimeout(() => {
      this.sendTimer = null;
      current?.destroy(Object.assign(new Error('upstream timed out (proxy_send_timeout) while reading the request body'), { code: 'ETIMEDOUT' }));
    }, this.sendTimeoutMs);
  }

  private stopSendTimer(): void {
    if (this.sendTimer === null) return;
    clearTimeout(this.sendTimer);
    this.sendTimer = null;
  }
}

/** Whether a body follows the request's head: framed by Transfer-Encoding, or a Content-Length other than 0. */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
