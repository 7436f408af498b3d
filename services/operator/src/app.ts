import { fastify, LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { installErrorHandlers } from './http-errors.js';
import { collectiveRoutes } from './routes/collective-routes.js';
import { directoryRoutes } from './routes/directory-routes.js';
import type { OperatorDeps } from './operator-deps.js';
import { infoRoutes } from './routes/info-routes.js';
import { mailboxRoutes } from './routes/mailbox-routes.js';
import { mailRoute } from './routes/mail-route.js';
import { relayRoutes } from './routes/relay-routes.js';
import { webStatic } from './web-static.js';

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
  const metrics = deps.metrics;
  if (metrics) {
    // route templates and status codes only: never a URL, a body or an address
    app.addHook('onResponse', async (req, reply) => {
      const route = req.routeOptions.url ?? 'unmatched';
      metrics.requests.add(1, { route, status: String(reply.statusCode) });
      metrics.requestSeconds.record(reply.elapsedTime / 1000, { route });
    });
  }
  infoRoutes(app, deps);
  mailRoute(app, deps);
  mailboxRoutes(app, deps);
  directoryRoutes(app, deps);
  collectiveRoutes(app, deps);
  relayRoutes(app, deps);
  if (deps.config.webDir !== undefined) webStatic(app, deps.config.webDir);
  return app;
}
