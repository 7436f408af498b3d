import { fastify, LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { installErrorHandlers } from './http-errors.js';
import type { OperatorDeps } from './operator-deps.js';
import { infoRoutes } from './routes/info-routes.js';
import { mailboxRoutes } from './routes/mailbox-routes.js';
import { mailRoute } from './routes/mail-route.js';

/**
 * Builds the operator's HTTP app without listening (tests use app.inject()). Bodies are
 * raw bytes (application/octet-stream) up to the configured limit. Request logging is
 * off: the edge must not record who asked for what; errors are logged without request
 * data, and the request serializer carries no address, port or URL.
 */
export function buildApp(deps: OperatorDeps): FastifyInstance {
  const app = fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps FastifyInstance's default generics
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: deps.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.bodyLimitBytes,
    trustProxy: false,
    return503OnClosing: true,
    requestIdHeader: false,
    genReqId: () => '',
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/octet-stream',
    { parseAs: 'buffer' },
    (_req, body, done) => {
      done(null, body);
    },
  );
  installErrorHandlers(app);
  infoRoutes(app, deps);
  mailRoute(app, deps);
  mailboxRoutes(app, deps);
  return app;
}
