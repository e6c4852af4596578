import { randomUUID } from "node:crypto";
import type { Context, Next } from "koa";
import type { Logger } from "../../../application/ports/logger.port.js";

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

/** `?token=` (old delete-account links) and any other secret-looking query value never reach the log. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|code|otp|otpCode|refreshToken|resetToken|access_token|state)=)[^&#]*/gi, "$1[REDACTED]");
}

/** One log line per request: id, method, route, status, duration. */
export function requestLogMiddleware(logger: Logger) {
  return async function logRequest(ctx: Context, next: Next): Promise<void> {
    const started = process.hrtime.bigint();
    const incoming = ctx.get("X-Request-Id");
    const requestId = SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set("X-Request-Id", requestId);
    try {
      await next();
    } finally {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const entry = {
        requestId,
        method: ctx.method,
        url: redactUrl(ctx.originalUrl),
        route: (ctx as { _matchedRoute?: string })._matchedRoute ?? null,
        status: ctx.status,
        durationMs: Math.round(durationMs * 100) / 100,
        ip: ctx.ip,
      };
      if (ctx.status >= 500) logger.warn(entry, "request failed");
      else logger.info(entry, "request");
    }
  };
}
