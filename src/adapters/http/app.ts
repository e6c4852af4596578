import Router from "@koa/router";
import cors from "@koa/cors";
import Koa from "koa";
import helmet from "koa-helmet";
import type { Logger } from "../../application/ports/logger.port.js";
import type { AuthenticateAccessToken } from "../../application/use-cases/authenticate-access-token.use-case.js";
import type { AuthController } from "./controllers/auth.controller.js";
import type { HealthController } from "./controllers/health.controller.js";
import type { PasswordController } from "./controllers/password.controller.js";
import type { HttpSettings } from "./http-settings.js";
import { requireAuth } from "./middleware/auth.middleware.js";
import { jsonBodyMiddleware } from "./middleware/body.middleware.js";
import { csrfMiddleware } from "./middleware/csrf.middleware.js";
import { errorMiddleware } from "./middleware/error.middleware.js";
import { requestLogMiddleware } from "./middleware/request-log.middleware.js";

export interface HttpDependencies {
  settings: HttpSettings;
  logger: Logger;
  authenticate: AuthenticateAccessToken;
  auth: AuthController;
  password: PasswordController;
  health: HealthController;
}

export const AUTH_PREFIX = "/api/v1/auth";
export const HEALTH_PREFIX = "/api/v1/health";

export function buildRouter(deps: HttpDependencies): Router {
  const router = new Router();
  const authed = requireAuth(deps.authenticate);
  const a = deps.auth;

  router.post(`${AUTH_PREFIX}/signup`, a.signUp);
  router.post(`${AUTH_PREFIX}/verify-user`, a.verifyUser);
  router.post(`${AUTH_PREFIX}/resend-verification`, a.resendVerification);
  router.post(`${AUTH_PREFIX}/signin`, a.signIn);
  router.get(`${AUTH_PREFIX}/profile`, authed, a.profile);
  router.get(`${AUTH_PREFIX}/sessions`, authed, a.listSessions);
  router.delete(`${AUTH_PREFIX}/sessions`, authed, a.revokeOtherSessions);
  router.delete(`${AUTH_PREFIX}/sessions/:sessionId`, authed, a.revokeSession);
  router.post(`${AUTH_PREFIX}/refresh-token`, a.refresh);
  router.post(`${AUTH_PREFIX}/logout`, a.signOut);

  const p = deps.password;
  router.post(`${AUTH_PREFIX}/forgot-password`, p.forgotPassword);
  router.post(`${AUTH_PREFIX}/verify-reset-otp`, p.verifyResetOtp);
  router.post(`${AUTH_PREFIX}/reset-password`, p.resetPassword);
  router.post(`${AUTH_PREFIX}/change-password`, authed, p.changePassword);

  router.get(`${HEALTH_PREFIX}`, deps.health.live);
  router.get(`${HEALTH_PREFIX}/`, deps.health.live);
  router.get(`${HEALTH_PREFIX}/detailed`, deps.health.detailed);
  return router;
}

/** Builds the Koa app; never listens (server.ts does, tests use app.callback()). */
export function createApp(deps: HttpDependencies): Koa {
  const { settings, logger } = deps;
  const app = new Koa({ proxy: settings.trustProxy });
  // Errors are answered and logged by errorMiddleware; Koa's default handler would print stacks.
  app.silent = true;
  app.on("error", (err: unknown) => logger.error({ err }, "koa error outside a request"));

  const allowed = new Set(settings.corsOrigins);
  const router = buildRouter(deps);

  app.use(requestLogMiddleware(logger));
  app.use(errorMiddleware(logger));
  app.use(
    helmet({
      // A JSON API serves no HTML: forbid everything a browser could do with a response.
      contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
      crossOriginResourcePolicy: { policy: "same-site" },
      hsts: settings.nodeEnv === "production",
    }),
  );
  app.use(
    cors({
      origin: (ctx) => (allowed.has(ctx.get("Origin")) ? ctx.get("Origin") : ""),
      credentials: true,
      allowHeaders: ["Content-Type", "Authorization", "X-Auth-Mode", "X-Request-Id"],
      exposeHeaders: ["Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "X-Request-Id"],
      maxAge: 600,
    }),
  );
  app.use(csrfMiddleware(settings.corsOrigins));
  app.use(jsonBodyMiddleware(settings.jsonLimitBytes));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
