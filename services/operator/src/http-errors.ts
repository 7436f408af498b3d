import { errorInfo, KomradeError, type ErrorCode } from '@komrade/protocol';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';

/** JSON error body: the registry's code, safe message and retryability. Nothing else. */
export function sendError(
  reply: FastifyReply,
  code: ErrorCode,
  headers: Record<string, string> = {},
): FastifyReply {
  const info = errorInfo(code);
  return reply
    .code(info.status)
    .headers(headers)
    .type('application/json')
    .send({ error: { code, message: info.message, retryable: info.retryable } });
}

/** Fastify's own errors (body too large, bad content type...) mapped to registry codes. */
function codeForFastifyError(e: FastifyError): ErrorCode {
  if (e instanceof KomradeError) return e.code;
  switch (e.statusCode ?? 500) {
    case 413:
      return 'ERR_HTTP_TOO_LARGE';
    case 415:
      return 'ERR_HTTP_CONTENT_TYPE';
    case 404:
      return 'ERR_HTTP_NOT_FOUND';
    case 429:
      return 'ERR_RATE_LIMITED';
    case 503:
      return 'ERR_SERVICE_UNAVAILABLE';
    default:
      return (e.statusCode ?? 500) >= 400 && (e.statusCode ?? 500) < 500
        ? 'ERR_HTTP_BAD_REQUEST'
        : 'ERR_SERVICE_INTERNAL';
  }
}

/**
 * Replaces fastify's default handlers, which echo raw error messages on 500s. Every
 * failure leaves as a registry code; internals only reach the log, without request data.
 */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((e: FastifyError, req, reply) => {
    const code = codeForFastifyError(e);
    if (errorInfo(code).status >= 500) req.log.error({ err: e }, 'request failed');
    return sendError(reply, code);
  });
  app.setNotFoundHandler((_req, reply) => sendError(reply, 'ERR_HTTP_NOT_FOUND'));
}
