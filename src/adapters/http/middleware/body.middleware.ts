import type { Context, Next } from "koa";
import { HttpMethodEnum, koaBody } from "koa-body";
import { HttpProblem } from "../error-codes.js";

const BODY_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function hasBody(ctx: Context): boolean {
  const length = ctx.get("Content-Length");
  return (length !== "" && length !== "0") || ctx.get("Transfer-Encoding") !== "";
}

/**
 * JSON bodies only (multipart is parsed by the one route that takes it, after authentication).
 * Anything else with a body is refused with 415 rather than silently ignored.
 */
export function jsonBodyMiddleware(limitBytes: number, multipartPaths: ReadonlySet<string> = new Set()) {
  const parse = koaBody({
    json: true,
    jsonStrict: true,
    jsonLimit: limitBytes,
    multipart: false,
    urlencoded: false,
    text: false,
    parsedMethods: [HttpMethodEnum.POST, HttpMethodEnum.PUT, HttpMethodEnum.PATCH, HttpMethodEnum.DELETE],
  });
  return async function parseJson(ctx: Context, next: Next): Promise<void> {
    if (BODY_METHODS.has(ctx.method) && hasBody(ctx)) {
      // Multipart routes parse their own body, after authentication and with their own limits.
      if (ctx.is("multipart/form-data") && multipartPaths.has(ctx.path)) return next();
      if (!ctx.is("application/json", "application/*+json"))
        throw new HttpProblem(415, "UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json");
    }
    return parse(ctx, next);
  };
}
