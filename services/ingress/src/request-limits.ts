import { isUtf8 } from 'node:buffer';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError, type ErrorCode } from '@flowgate/contracts';
import { bodyKindOf, exceedsJsonDepth, mediaTypeOf } from '@flowgate/core';
import type { Logger } from '@flowgate/kit';
import type { RequestHandler } from 'express';

/**
 * Limits on what a client may send before any route sees it: header count and size, slow
 * uploads, JSON nesting depth and text encoding. Every refusal is in DESIGN.md's one error shape.
 */
export interface RequestLimits {
  maxHeaderBytes: number;
  maxHeaderCount: number;
  maxJsonDepth: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

/** Options for `http.createServer`: node itself refuses larger header blocks and slow requests. */
export function serverOptions(limits: RequestLimits) {
  return {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // How often node looks for requests past their timeout (its default, 30 s, would let a slow
    // upload hold a connection for that long past the limit).
    connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
  };
}

/**
 * Node answers header overflows and timeouts itself with an empty body; this writes the documented
 * error shape instead and closes the connection. `maxHeadersCount` is set one past the limit so
 * `headerCountLimit` can tell an oversized header set from one that fits.
 */
export function guardServer(server: Server, limits: RequestLimits, logger: Logger): void {
  server.maxHeadersCount = limits.maxHeaderCount + 1;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const code = err.code ?? '';
    // A response already under way cannot be replaced by an error.
    const pending = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (code === 'ECONNRESET' || !socket.writable || pending?.headersSent) {
      socket.destroy();
      return;
    }
    const refusal: [number, string, ErrorCode, string] =
      code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'headers_too_large', `Request headers are larger than ${limits.maxHeaderBytes} bytes`]
        : code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', 'request_timeout', 'The request was not received in time']
          : [400, 'Bad Request', 'invalid_request', 'Malformed HTTP request'];
    logger.debug({ code }, 'client error');
    const [status, reason, errorCode, message] = refusal;
    const body = JSON.stringify(new ApiError(errorCode, message).toBody());
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

export function headerCountLimit(maxHeaderCount: number): RequestHandler {
  return (req, _res, next) => {
    if (req.rawHeaders.length / 2 > maxHeaderCount)
      next(new ApiError('headers_too_large', `Too many request headers (at most ${maxHeaderCount})`));
    else next();
  };
}

/** A JSON body nested deeper than `maxDepth` (measured on the bytes, before any parser runs) → 400. */
export function assertJsonDepth(raw: Buffer, maxDepth: number): void {
  if (exceedsJsonDepth(raw, maxDepth))
    throw new ApiError('invalid_json', `JSON body is nested deeper than ${maxDepth} levels`, { max_depth: maxDepth });
}

/** A JSON or text body must be UTF-8. */
export function assertUtf8(raw: Buffer): void {
  if (!isUtf8(raw)) throw new ApiError('invalid_request', 'Request body is not valid UTF-8');
}

/** `verify` hook of express.json: UTF-8 and depth checked on the raw bytes before JSON.parse. */
export const verifyJsonBody =
  (maxDepth: number) =>
  (_req: unknown, _res: unknown, raw: Buffer): void => {
    assertUtf8(raw);
    assertJsonDepth(raw, maxDepth);
  };

/**
 * After `express.raw` on webhook-style routes: a body that will be read as JSON must be UTF-8 and
 * within the depth limit, one read as text must be UTF-8; anything else travels as base64.
 */
export function rawBodyGuard(maxJsonDepth: number): RequestHandler {
  return (req, _res, next) => {
    const raw: unknown = req.body;
    if (!Buffer.isBuffer(raw) || raw.length === 0) return next();
    const type = mediaTypeOf(req.get('content-type'));
    const kind = bodyKindOf(type);
    if (kind === 'json') {
      // Without a content type a non-UTF-8 body is kept as text (lossy), as before; with one it is refused.
      if (type !== '') assertUtf8(raw);
      assertJsonDepth(raw, maxJsonDepth);
    } else if (kind === 'text' || kind === 'form') assertUtf8(raw);
    next();
  };
}
