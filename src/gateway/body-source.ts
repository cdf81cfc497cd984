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
 */
export class BodySource {
  private readonly req: IncomingMessage;
  private current: Readable | null = null;
  private startedFlag = false;
  private bytes = 0;
  /** Bytes handed to the current attempt. */
  attemptBytes = 0;
  /** The body grew past client_max_body_size (0: no limit) on its way: the attempt was cut. */
  tooLarge = false;
  /** The connection's parser found the body broken (bad chunked framing, the client gone): the answer to give, if any can be. */
  broken: ApiError | null = null;

  constructor(req: IncomingMessage, maxBytes: number) {
    this.req = req;
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
      if (this.current?.push(chunk) === false) req.pause();
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
    const stream = new Readable({ read: () => req.resume() });
    this.current = stream;
    this.attemptBytes = 0;
    return stream;
  }
}

/** Whether a body follows the request's head: framed by Transfer-Encoding, or a Content-Length other than 0. */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
