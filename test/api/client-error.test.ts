// The answers to what Node's HTTP parser refuses: which status each parser error gets, and
// that the raw response is one well-formed HTTP/1.1 message with the NGINX Plus error body.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { clientErrorOf, rawErrorResponse, type ParserError } from '../../dist/api/client-error.js';
import { ApiError } from '../../dist/api/errors.js';
import { errorBodyOf, parseResponses } from '../runtime/raw-http.js';

function parserError(code: string, packet?: string, bytesParsed?: number): ParserError {
  return Object.assign(new Error(code), {
    code,
    ...(packet === undefined ? {} : { rawPacket: Buffer.from(packet, 'latin1'), bytesParsed: bytesParsed ?? packet.length }),
  });
}

describe('clientErrorOf', () => {
  it.each([
    // code, the chunk parsed, where the parser stopped, status, error code
    ['HPE_INVALID_METHOD', 'FOO / HTTP/1.1\r\n', 1, 405, 'MethodNotSupported'],
    ['HPE_INVALID_METHOD', 'GETX / HTTP/1.1\r\n', 3, 405, 'MethodNotSupported'],
    ['HPE_INVALID_METHOD', 'M-SEARCH_X * HTTP/1.1\r\n', 2, 405, 'MethodNotSupported'],
    ['HPE_INVALID_METHOD', 'get / HTTP/1.1\r\n', 0, 400, 'BadRequest'],
    ['HPE_INVALID_METHOD', 'G@T / HTTP/1.1\r\n', 1, 400, 'BadRequest'],
    ['HPE_INVALID_METHOD', 'GET / HTTP/1.1\r\nHost: x\r\n\r\nBREW / HTTP/1.1\r\n', 28, 405, 'MethodNotSupported'],
    ['HPE_INVALID_METHOD', 'GET / HTTP/1.1\r\nHost: x\r\n\r\nbrew / HTTP/1.1\r\n', 27, 400, 'BadRequest'],
    ['HPE_INVALID_METHOD', undefined, undefined, 400, 'BadRequest'],
    ['HPE_HEADER_OVERFLOW', `GET /${'a'.repeat(100)}`, undefined, 414, 'UriTooLong'],
    ['HPE_HEADER_OVERFLOW', `GET / HTTP/1.1\r\nX: ${'a'.repeat(100)}`, undefined, 431, 'HeadersTooLarge'],
    ['HPE_HEADER_OVERFLOW', 'a'.repeat(100), undefined, 431, 'HeadersTooLarge'],
    ['HPE_HEADER_OVERFLOW', undefined, undefined, 431, 'HeadersTooLarge'],
    ['ERR_HTTP_REQUEST_TIMEOUT', undefined, undefined, 408, 'RequestTimeout'],
    ['HPE_INVALID_HEADER_TOKEN', 'GET / HTTP/1.1\r\nX\0: 1\r\n', 17, 400, 'BadRequest'],
    ['HPE_INVALID_CHUNK_SIZE', 'zz\r\n', 0, 400, 'BadRequest'],
    ['HPE_PAUSED_H2_UPGRADE', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 24, 400, 'BadRequest'],
    ['ECONNRESET', undefined, undefined, 400, 'BadRequest'],
  ] as const)('%s on %j at %s: %i %s', (code, packet, at, status, name) => {
    const e = clientErrorOf(parserError(code, packet, at));
    expect([e.status, e.code]).toEqual([status, name]);
  });
});

describe('rawErrorResponse', () => {
  it('is one complete HTTP/1.1 response: the status, the error body, Connection: close, the extra headers', () => {
    fc.assert(fc.property(
      fc.constantFrom(400, 401, 403, 404, 405, 408, 413, 414, 431, 500, 599),
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.dictionary(fc.constantFrom('Allow', 'WWW-Authenticate', 'Retry-After'), fc.string({ unit: 'binary-ascii', maxLength: 20 }).map((t) => t.replace(/[^\x20-\x7e]/g, ''))),
      (status, text, headers) => {
        const raw = rawErrorResponse(new ApiError(status, 'BadRequest', text, headers));
        const { responses, rest } = parseResponses(raw, false);
        expect(rest.length).toBe(0);
        expect(responses.length).toBe(1);
        const r = responses[0]!;
        expect(r.status).toBe(status);
        expect(r.headers['connection']).toBe('close');
        expect(r.headers['content-type']).toBe('application/json');
        expect(errorBodyOf(r.body)).toEqual({ status, code: 'BadRequest', text });
        for (const [name, value] of Object.entries(headers)) expect(r.headers[name.toLowerCase()]).toBe(value.trim());
      },
    ), { numRuns: 300 });
  });
});
