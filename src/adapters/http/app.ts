import { setImmediate as yieldToLoop } from "node:timers/promises";
import Router from "@koa/router";
import cors from "@koa/cors";
import Koa, { type Context, type Middleware } from "koa";
import compose from "koa-compose";
import type { Logger } from "../../application/ports/logger.port.js";
import type { AuthenticateAccessToken } from "../../application/use-cases/authenticate-access-token.use-case.js";
import type { HttpSettings } from "./http-settings.js";
import { requireAuth } from "./middleware/auth.middleware.js";
import { jsonBodyMiddleware } from "./middleware/body.middleware.js";
import { originCheck } from "./middleware/csrf.middleware.js";
import { edgeMiddleware } from "./middleware/edge.middleware.js";
import { errorResponder } from "./middleware/error.middleware.js";
import { requestLog } from "./middleware/request-log.middleware.js";
import { securityHeaderWriter } from "./middleware/security-headers.middleware.js";
import type { HttpModule, RouteGuards, RouteSpec } from "./route-spec.js";
import { parseInput } from "./validation.js";
import type * as v from "valibot";

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
  /** Set when the server shuts down: every answer from then on says `Connection: close`. */
  draining: boolean;
}

export { AUTH_PREFIX, HEALTH_PREFIX } from "./paths.js";

/**
 * auth → guards → body → body guards → validation → handler: the caller is authenticated and
 * within its IP budget before its body is used (before a single byte is read, except on routes
 * with a precheck, see precheckAlongside); budgets keyed by what the body names (an email) are
 * checked once it is parsed, by the one body parser, and before any use case runs.
 */
function chainFor(spec: RouteSpec, deps: HttpDependencies): Middleware[] {
  const chain: Middleware[] = [];
  if (spec.auth === "access") chain.push(requireAuth(deps.authenticate, { allowDeactivated: !!spec.allowDeactivated }));
  const guards = deps.guards?.(spec) ?? [];
  const body = spec.body || spec.multipart ? jsonBodyMiddleware(deps.settings.jsonLimitBytes, { allowMultipart: !!spec.multipart }) : null;
  const bodyGuards = deps.bodyGuards?.(spec) ?? [];
  if (spec.precheck && spec.body && body && !spec.multipart) chain.push(precheckAlongside(spec.body, spec.precheck, spec.knownRefusal, guards, body, bodyGuards));
  else chain.push(...guards, ...(body ? [body] : []), ...bodyGuards);
  chain.push(async (ctx: Context) => {
    const isMultipart = !!spec.multipart && ctx.is("multipart/form-data");
    const input = validatedEarly.has(ctx) ? validatedEarly.get(ctx) : spec.body && !isMultipart ? parseInput(spec.body, ctx.request.body) : undefined;
    await spec.handler(ctx, input as never);
  });
  return chain;
}

/** Bodies a precheck already validated, so the handler does not parse them again. */
const validatedEarly = new WeakMap<Context, unknown>();

/** A promise's outcome as a value: null when it resolved, the error when it rejected (never unhandled). */
function outcomeOf(promise: Promise<unknown>): Promise<{ err: unknown } | null> {
  return promise.then(
    () => null,
    (err: unknown) => ({ err }),
  );
}

/**
 * For a route with a precheck (sign-in: is this address or IP blocked?): the body is read, and the
 * precheck's store call made, while the IP budget's call is in flight, so they travel to the store
 * together. Decisions keep their order: over the IP budget is RATE_LIMITED whatever the body or the
 * precheck; then a body error (413, 400, 415); then the precheck's refusal, which spends nothing of
 * the account's budget (a blocked address's refusals cost no hash and send no mail); then the
 * account budget. A blocked sign-in is thus answered after one round trip. A body the schema
 * refuses skips the precheck and is left to validation, after the guards, as on every route.
 *
 * One exception to the order: a refusal this process already knows (knownRefusal: a block it read
 * from the store a moment ago) is answered as soon as the body is parsed, without waiting for the
 * IP budget, unless that budget has already refused. The budget's call is made all the same, so
 * the request counts; an address hammered while it is blocked costs no store round trip.
 */
function precheckAlongside(
  schema: v.GenericSchema,
  precheck: NonNullable<RouteSpec["precheck"]>,
  knownRefusal: RouteSpec["knownRefusal"],
  guards: Middleware[],
  body: Middleware,
  bodyGuards: Middleware[],
): Middleware {
  const ipGuarded = compose(guards);
  const accountGuarded = compose(bodyGuards);
  return async function precheckWithGuards(ctx: Context, next) {
    const reading = outcomeOf(Promise.resolve(body(ctx, async () => {})));
    const verdict = reading.then((failed): Promise<Refusal | null> | Refusal | null => {
      if (failed) return null;
      let input: unknown;
      try {
        input = parseInput(schema, ctx.request.body);
      } catch {
        return null;
      }
      validatedEarly.set(ctx, input);
      try {
        knownRefusal?.(ctx, input as never);
      } catch (err) {
        return { err, known: true };
      }
      return outcomeOf(precheck(ctx, input as never));
    });
    const guarded = outcomeOf(
      ipGuarded(ctx, async () => {
        const failed = await reading;
        if (failed) throw failed.err;
        const refused = await verdict;
        if (refused) throw refused.err;
        await accountGuarded(ctx, next);
      }),
    );
    // The budget settles this early only when it refused. A known refusal waits one turn of the
    // event loop, so a budget kept in this process (no I/O) has always decided first and keeps
    // its precedence; one kept in a store is still on its way and is not waited for.
    let budget: { err: unknown } | null | undefined;
    void guarded.then((outcome) => (budget = outcome));
    const first = await Promise.race([guarded.then((outcome) => ({ outcome })), verdict.then((refusal) => ({ refusal }))]);
    if ("refusal" in first && first.refusal?.known) {
      await yieldToLoop();
      throw budget ? budget.err : first.refusal.err;
    }
    const outcome = await guarded;
    if (outcome) throw outcome.err;
  };
}

type Refusal = { err: unknown; known?: boolean };

/**
 * helmet's settings, worked out once per app (see securityHeaderWriter).
 *
 * "api" (every JSON answer): what a browser needs to be told about a JSON response (the OWASP
 * REST Security Cheat Sheet's list): nothing may frame, embed or run it (CSP default-src 'none',
 * frame-ancestors 'none', X-Frame-Options DENY), no MIME sniffing, no cross-site reads (CORP),
 * no referrer, HTTPS only in production; Cache-Control: no-store is added by the app. helmet's
 * headers that only mean something on an HTML document (opener isolation, agent clusters, DNS
 * prefetch of links, IE8 downloads, Flash/Acrobat policy files, the old XSS auditor) are left off:
 * a JSON answer is never rendered as a document.
 *
 * "document": helmet's whole default set, for the one HTML page (the API reference), which sets
 * its own CSP on top.
 */
export function securityHeaderOptions(settings: Pick<HttpSettings, "nodeEnv">, kind: "api" | "document" = "api"): Parameters<typeof securityHeaderWriter>[0] {
  const hsts = settings.nodeEnv === "production";
  if (kind === "document") return { hsts };
  return {
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginResourcePolicy: { policy: "same-site" },
    xFrameOptions: { action: "deny" },
    hsts,
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  };
}

/**
 * @koa/router for every route, plus a table for the routes whose path has no parameter: a
 * request naming one exactly (method and path as declared) runs its chain after two Map lookups,
 * where the router would test every route's pattern and compose the chain again on each request.
 * Everything else (parameters, HEAD and OPTIONS, a trailing slash, other letter case, 404, 405)
 * falls through to the router. Both run the same middleware instances, so a route's rate-limit
 * budget is one budget whichever way a request reaches it.
 */
function routing(deps: HttpDependencies, specs: RouteSpec[]): { router: Router; exact: Middleware } {
  const router = new Router();
  const table = new Map<string, Map<string, { path: string; run: Middleware }>>();
  const counts = new Map<string, number>();
  for (const spec of specs) counts.set(`${spec.method} ${spec.path}`, (counts.get(`${spec.method} ${spec.path}`) ?? 0) + 1);
  for (const spec of specs) {
    const chain = chainFor(spec, deps);
    router[spec.method](spec.path, ...chain);
    const isStatic = !/[:*?(]/.test(spec.path);
    // A path declared twice for one method runs both chains in the router; leave that to it.
    if (!isStatic || counts.get(`${spec.method} ${spec.path}`) !== 1) continue;
    const method = spec.method.toUpperCase();
    if (!table.has(method)) table.set(method, new Map());
    table.get(method)!.set(spec.path, { path: spec.path, run: compose(chain) });
  }
  const exact: Middleware = function exactRoute(ctx, next) {
    const hit = table.get(ctx.method)?.get(ctx.path);
    if (!hit) return next();
    // What @koa/router sets for a parameterless route (the request log reads _matchedRoute).
    (ctx as { _matchedRoute?: string })._matchedRoute = hit.path;
    ctx.params = {};
    return hit.run(ctx, next);
  };
  return { router, exact };
}

/** Builds the Koa app; never listens (server.ts does, tests use app.callback()). */
export function createApp(deps: HttpDependencies): HybridAuthApp {
  const { settings, logger } = deps;
  // Behind N trusted proxies only the N entries they appended to X-Forwarded-For are believed, and
  // the client is the leftmost of those: entries further left come from the client and would let
  // it pick its own IP (and rate-limit budget).
  const app = new Koa({ proxy: settings.trustProxyHops > 0, maxIpsCount: settings.trustProxyHops }) as HybridAuthApp;
  // Errors are answered and logged by the edge layer; Koa's default handler would print stacks.
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
  const { router, exact } = routing(deps, specs);
  app.routeSpecs = specs;
  for (const m of deps.modules) m.appRoutes?.(specs);

  app.draining = false;
  const corsHeaders = cors({
    origin: (ctx) => (allowed.has(ctx.get("Origin")) ? ctx.get("Origin") : ""),
    credentials: true,
    allowHeaders: ["Content-Type", "Authorization", "X-Auth-Mode", "X-Request-Id"],
    exposeHeaders: ["Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy", "X-Request-Id"],
    maxAge: 600,
  });
  app.use(
    edgeMiddleware({
      log: requestLog(logger),
      errors: errorResponder(logger),
      // Tokens and personal data are never stored by a cache (RFC 6749 §5.1 for token responses);
      // the few cacheable answers (avatar files, the API reference) set their own Cache-Control.
      writeHeaders: securityHeaderWriter(securityHeaderOptions(settings), { "Cache-Control": "no-store" }),
      cors: corsHeaders,
      checkOrigin: originCheck(settings.corsOrigins),
      draining: () => app.draining,
    }),
  );
  for (const mw of deps.before ?? []) app.use(mw);
  app.use(exact);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
