// Reading a request body within a bound. Over the bound is 413 BodyTooLarge (as nginx's
// client_max_body_size), whose answer closes the connection; what arrives past the bound is
// read and dropped, so that a client still sending can read the answer, and once the
// answer is written the connection's lingering close (lingering-close.ts) bounds how long
// and how much more is read.
// A body the connection's parser refuses part way (bad chunked framing) or that stops
// arriving in time is reported with breakBody: its reader rejects with that error, which
// closes the connection once answered.

import type { IncomingMessage } from 'node:http';
import { ApiError, ErrorCode } from './errors.js';

/** Default bound of an API request body: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export function bodyTooLarge(maxBytes: number): ApiError {
  return new ApiError(413, ErrorCode.BodyTooLarge, `request body is larger than ${maxBytes} bytes`, { Connection: 'close' });
}

const broken = new WeakMap<IncomingMessage, ApiError>();
const BODY_BROKEN = 'zonesync:body-broken';

/** The rest of `req`'s body will never arrive: its reader, now or later, rejects with `error`. */
export function breakBody(req: IncomingMessage, error: ApiError): void {
  broken.set(req, error);
  req.emit(BODY_BROKEN);
}

/**
 * Calls `listener` with the error once `req`'s body is known never to arrive whole (at once
 * if it already is): for readers that stream a body rather than read it with readBody.
 */
export function onBodyBroken(req: IncomingMessage, listener: (error: ApiError) => void): void {
  const already = broken.get(req);
  if (already !== undefined) {
    listener(already);
    return;
  }
  req.once(BODY_BROKEN, () => listener(broken.get(req)!));
}

/** The request says (Content-Length) that its body is over the bound. */
export function declaredTooLarge(req: IncomingMessage, maxBytes: number): boolean {
  const declared = req.headers['content-length'];
  return declared !== undefined && Number(declared) > maxBytes;
}

export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  if (declaredTooLarge(req, maxBytes)) {
    drop(req);
    return Promise.reject(bodyTooLarge(maxBytes));
  }
  const brokenAlready = broken.get(req);
  if (brokenAlready !== undefined) return Promise.reject(brokenAlready);
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let sizeBytes = 0;
    const onData = (chunk: Buffer): void => {
      sizeBytes += chunk.length;
      if (sizeBytes > maxBytes) {
        cleanup();
        drop(req);
        reject(bodyTooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, sizeBytes));
    };
    const onError = (): void => {
      cleanup();
      reject(new ApiError(400, ErrorCode.BodyReadError, 'error reading the request body'));
    };
    const onAborted = (): void => {
      if (!req.complete) onError();
    };
    const onBroken = (): void => {
      cleanup();
      reject(broken.get(req));
    };
    function cleanup(): void {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onAborted);
      req.off(BODY_BROKEN, onBroken);
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onAborted);
    req.on(BODY_BROKEN, onBroken);
  });
}

/** Reads and drops the rest of a body. */
function drop(req: IncomingMessage): void {
  req.on('error', () => {});
  req.resume();
}
