import { randomUUID } from "node:crypto";
import type { Context } from "koa";
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

export interface RequestLog {
  /** Names the request (a safe incoming X-Request-Id or a new one), echoes it; returns the start time. */
  begin(ctx: Context): bigint;
  /** The request's one line, once its status is final. */
  end(ctx: Context, started: bigint): void;
}

/** One log line per request: id, method, route, status, duration. Driven by the edge layer. */
export function requestLog(logger: Logger): RequestLog {
  return {
    begin(ctx) {
      const started = process.hrtime.bigint();
      const incoming = ctx.get("X-Request-Id");
      const requestId = SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
      ctx.state.requestId = requestId;
      ctx.res.setHeader("X-Request-Id", requestId);
      return started;
    },
    end(ctx, started) {
      // Below the configured level the line is not built at all (it runs on every request).
      if (ctx.status >= 500 || logger.isLevelEnabled?.("info") !== false) log(ctx, started);
    },
  };

  function log(ctx: Context, started: bigint): void {
    const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
    const entry = {
      requestId: ctx.state.requestId as string,
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
