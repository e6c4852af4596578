import type { Context } from "koa";
import { DomainError, RateLimitedError, TooManyAttemptsError, ValidationError } from "../../../domain/errors.js";
import type { Logger } from "../../../application/ports/logger.port.js";
import { errorBody } from "../envelope.js";
import { DOMAIN_ERROR_STATUS, HTTP_ERROR_CODES, HttpProblem } from "../error-codes.js";

const GENERIC_MESSAGES: Record<number, string> = {
  400: "Bad request",
  404: "Not found",
  405: "Method not allowed",
  413: "Request body too large",
  415: "Unsupported media type",
  500: "Internal server error",
  501: "Not implemented",
};

function statusOf(err: unknown): number | undefined {
  const e = err as { status?: unknown; statusCode?: unknown };
  const status = typeof e?.status === "number" ? e.status : typeof e?.statusCode === "number" ? e.statusCode : undefined;
  return status && status >= 400 && status < 600 ? status : undefined;
}

export interface ErrorResponder {
  /** The router leaves unmatched paths (404) and methods (405, with Allow) without a body: give them the envelope. */
  fillEmpty(ctx: Context): void;
  /** Turns a failure into the error envelope. */
  answer(ctx: Context, err: unknown): void;
}

/**
 * Every failure becomes the error envelope (driven by the edge layer, around everything else).
 * Expected failures (domain errors, client mistakes) are logged at most at info level without a
 * stack; anything else is a 500, logged with its stack and the request id, and reported without
 * details.
 */
export function errorResponder(logger: Logger): ErrorResponder {
  return {
    fillEmpty(ctx) {
      if (ctx.body == null && (ctx.status === 404 || ctx.status === 405 || ctx.status === 501)) {
        const status = ctx.status;
        const code = HTTP_ERROR_CODES[status as 404 | 405 | 501];
        ctx.body = errorBody(status, code, status === 404 ? `No route for ${ctx.method} ${ctx.path}` : (GENERIC_MESSAGES[status] ?? code));
        ctx.status = status;
      }
    },
    answer(ctx, err) {
      const requestId = ctx.state.requestId as string | undefined;
      if (err instanceof DomainError) {
        const status = DOMAIN_ERROR_STATUS[err.code];
        if (err instanceof TooManyAttemptsError || err instanceof RateLimitedError)
          ctx.set("Retry-After", String(Math.max(1, Math.ceil(err.retryAfterSeconds))));
        ctx.status = status;
        ctx.body = errorBody(status, err.code, err.message, err instanceof ValidationError ? err.errors : undefined);
        if (status >= 500) logger.warn({ requestId, code: err.code }, err.message);
        return;
      }
      if (err instanceof HttpProblem) {
        ctx.status = err.status;
        ctx.body = errorBody(err.status, err.code, err.message);
        return;
      }
      const status = statusOf(err);
      if (status && status < 500) {
        const isJsonSyntax = status === 400 && err instanceof SyntaxError;
        const code = isJsonSyntax ? "MALFORMED_JSON" : (HTTP_ERROR_CODES[status as keyof typeof HTTP_ERROR_CODES] ?? "BAD_REQUEST");
        const message = isJsonSyntax ? "Malformed JSON body" : (GENERIC_MESSAGES[status] ?? "Bad request");
        if (status === 405) {
          const allow = (err as { headers?: Record<string, string> }).headers?.Allow;
          if (allow) ctx.set("Allow", allow);
        }
        ctx.status = status;
        ctx.body = errorBody(status, code, message);
        return;
      }
      logger.error({ err, requestId }, "unhandled error");
      ctx.status = 500;
      ctx.body = errorBody(500, "INTERNAL_ERROR", "Internal server error");
    },
  };
}
