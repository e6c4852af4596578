import Router from "@koa/router";
import cors from "@koa/cors";
import Koa, { type Context, type Middleware } from "koa";
import type { Logger } from "../../application/ports/logger.port.js";
import type { AuthenticateAccessToken } from "../../application/use-cases/authenticate-access-token.use-case.js";
import type { HttpSettings } from "./http-settings.js";
import { requireAuth } from "./middleware/auth.middleware.js";
import { jsonBodyMiddleware } from "./middleware/body.middleware.js";
import { csrfMiddleware } from "./middleware/csrf.middleware.js";
import { errorMiddleware } from "./middleware/error.middleware.js";
import { requestLogMiddleware } from "./middleware/request-log.middleware.js";
import { securityHeadersMiddleware } from "./middleware/security-headers.middleware.js";
import type { HttpModule, RouteGuards, RouteSpec } from "./route-spec.js";
import { parseInput } from "./validation.js";

export interface HttpDependencies {
  settings: HttpSettings;
  logger: Logger;
  authenticate: AuthenticateAccessToken;
  /** Feature modules; each declares its routes. */
  modules: HttpModule[];
  /** Per-route middleware from cross-cutting concerns (rate limits). */
  guards?: RouteGuards;
  /** Per-route middleware that needs the parsed body (per-account rate limits), run before validation. */
  bodyGuards?: RouteGuards;
  /** Middleware mounted before the routes (after security headers, CORS and CSRF). */
  before?: Middleware[];
}

export interface HybridAuthApp extends Koa {
  /** Every route the app serves, for docs and tests. */
  routeSpecs: RouteSpec[];
}

export { AUTH_PREFIX, HEALTH_PREFIX } from "./paths.js";

/**
 * auth → guards → body → body guards → validation → handler: the caller is authenticated and
 * within its IP budget before a single body byte is read; budgets keyed by what the body names
 * (an email) are checked once it is parsed, by the one body parser, and before any use case runs.
 */
function chainFor(spec: RouteSpec, deps: HttpDependencies): Middleware[] {
  const chain: Middleware[] = [];
  if (spec.auth === "access") chain.push(requireAuth(deps.authenticate, { allowDeactivated: !!spec.allowDeactivated }));
  if (deps.guards) chain.push(...deps.guards(spec));
  if (spec.body || spec.multipart) chain.push(jsonBodyMiddleware(deps.settings.jsonLimitBytes, { allowMultipart: !!spec.multipart }));
  if (deps.bodyGuards) chain.push(...deps.bodyGuards(spec));
  chain.push(async (ctx: Context) => {
    const isMultipart = !!spec.multipart && ctx.is("multipart/form-data");
    const input = spec.body && !isMultipart ? parseInput(spec.body, ctx.request.body) : undefined;
    await spec.handler(ctx, input as never);
  });
  return chain;
}

/** helmet's settings for a JSON API; worked out once per app (see securityHeadersMiddleware). */
export function securityHeaderOptions(settings: Pick<HttpSettings, "nodeEnv">): Parameters<typeof securityHeadersMiddleware>[0] {
  return {
    // A JSON API serves no HTML: forbid everything a browser could do with a response.
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginResourcePolicy: { policy: "same-site" },
    hsts: settings.nodeEnv === "production",
  };
}

export function buildRouter(deps: HttpDependencies, specs: RouteSpec[]): Router {
  const router = new Router();
  for (const spec of specs) router[spec.method](spec.path, ...chainFor(spec, deps));
  return router;
}

/** Builds the Koa app; never listens (server.ts does, tests use app.callback()). */
export function createApp(deps: HttpDependencies): HybridAuthApp {
  const { settings, logger } = deps;
  // Behind a trusted proxy only the hop it appended to X-Forwarded-For is believed: entries to
  // its left come from the client and would let it pick its own IP (and rate-limit budget).
  const app = new Koa({ proxy: settings.trustProxy, maxIpsCount: settings.trustProxy ? 1 : 0 }) as HybridAuthApp;
  // Errors are answered and logged by errorMiddleware; Koa's default handler would print stacks.
  app.silent = true;
  app.on("error", (err: unknown) => {
    // Malformed requests (bad chunked framing, parse errors) are the client's fault: any client
    // could otherwise write error-level lines at will.
    const e = err as { status?: number; code?: string };
    const clientFault = (typeof e?.status === "number" && e.status < 500) || (typeof e?.code === "string" && e.code.startsWith("HPE_"));
    if (clientFault) logger.info({ err: { code: e.code, status: e.status } }, "malformed request");
    else logger.error({ err }, "koa error outside a request");
  });

  const allowed = new Set(settings.corsOrigins);
  const specs = deps.modules.flatMap((m) => m.routes());
  const router = buildRouter(deps, specs);
  app.routeSpecs = specs;
  for (const m of deps.modules) m.appRoutes?.(specs);

  app.use(requestLogMiddleware(logger));
  app.use(errorMiddleware(logger));
  // Tokens and personal data are never stored by a cache (RFC 6749 §5.1 for token responses);
  // the few cacheable answers (avatar files, the API reference) set their own Cache-Control.
  app.use(securityHeadersMiddleware(securityHeaderOptions(settings), { "Cache-Control": "no-store" }));
  const corsHeaders = cors({
    origin: (ctx) => (allowed.has(ctx.get("Origin")) ? ctx.get("Origin") : ""),
    credentials: true,
    allowHeaders: ["Content-Type", "Authorization", "X-Auth-Mode", "X-Request-Id"],
    exposeHeaders: ["Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy", "X-Request-Id"],
    maxAge: 600,
  });
  // What @koa/cors does for a request without Origin (most API traffic), without its async layer.
  app.use((ctx, next) => {
    if (ctx.get("Origin")) return corsHeaders(ctx, next);
    ctx.vary("Origin");
    return next();
  });
  app.use(csrfMiddleware(settings.corsOrigins));
  for (const mw of deps.before ?? []) app.use(mw);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
