import { randomUUID } from "node:crypto";
import type { Context, Next } from "koa";
import type { Logger } from "../../../application/ports/logger.port.js";

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

const SECRET_QUERY_NAMES = new Set(
  ["token", "code", "otp", "otpCode", "refreshToken", "resetToken", "accessToken", "access_token", "refresh_token", "id_token", "code_verifier", "client_secret", "password", "state"].map((n) => n.toLowerCase()),
);

function decodedName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, " ")).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

/**
 * `?token=` (old delete-account links) and any other secret-looking query value never reach the
 * log. Names are compared decoded, as the router reads them, so `?%74oken=` is redacted too.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf("?");
  if (q === -1) return url;
  const hash = url.indexOf("#", q);
  const query = url.slice(q + 1, hash === -1 ? undefined : hash);
  const redacted = query
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const name = eq === -1 ? pair : pair.slice(0, eq);
      return SECRET_QUERY_NAMES.has(decodedName(name)) ? `${name}=[REDACTED]` : pair;
    })
    .join("&");
  return `${url.slice(0, q + 1)}${redacted}`;
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
      // Below the configured level the line is not built at all (it runs on every request).
      if (ctx.status >= 500 || logger.isLevelEnabled?.("info") !== false) log(ctx, requestId, started);
    }
  };

  function log(ctx: Context, requestId: string, started: bigint): void {
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
}
