import type { Context, Next } from "koa";
import { HttpMethodEnum, koaBody } from "koa-body";
import { HttpProblem } from "../error-codes.js";

function hasBody(ctx: Context): boolean {
  const length = ctx.get("Content-Length");
  return (length !== "" && length !== "0") || ctx.get("Transfer-Encoding") !== "";
}

/**
 * JSON bodies only, per route, after authentication and rate limits. A body of another type is
 * refused with 415 rather than silently ignored; multipart is left to the routes that declare it.
 */
export function jsonBodyMiddleware(limitBytes: number, options: { allowMultipart?: boolean } = {}) {
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
    if (!hasBody(ctx)) return next();
    if (options.allowMultipart && ctx.is("multipart/form-data")) return next();
    if (!ctx.is("application/json", "application/*+json"))
      throw new HttpProblem(415, "UNSUPPORTED_MEDIA_TYPE", options.allowMultipart ? "Send application/json or multipart/form-data" : "Send the body as application/json");
    try {
      await parse(ctx, next);
    } catch (err) {
      // The request stream broke mid-body (invalid chunk framing, client gone): Node has already
      // answered 400 or closed the socket. A client fault, not an unhandled server error.
      if ((err as { type?: unknown }).type === "stream.not.readable") throw new HttpProblem(400, "BAD_REQUEST", "Malformed request body");
      throw err;
    }
  };
}
