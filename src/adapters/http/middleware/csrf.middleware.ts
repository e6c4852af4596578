import type { Context } from "koa";
import { HttpProblem } from "../error-codes.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Cookies ride along with cross-site requests, so an unsafe request that could be
 * cookie-authenticated must come from an allowed origin. Bearer requests cannot be forged by
 * a foreign page and pass; requests with neither Origin nor Sec-Fetch-Site come from
 * non-browser clients and pass too.
 */
export function originCheck(allowedOrigins: string[]): (ctx: Context) => void {
  const allowed = new Set(allowedOrigins);
  return function checkOrigin(ctx: Context): void {
    if (SAFE_METHODS.has(ctx.method) || /^Bearer\s/i.test(ctx.get("Authorization"))) return;
    const origin = ctx.get("Origin");
    const fetchSite = ctx.get("Sec-Fetch-Site").toLowerCase();
    const foreign = origin ? !allowed.has(origin) : fetchSite === "cross-site";
    if (foreign) throw new HttpProblem(403, "CSRF_REJECTED", "Cross-site request refused");
  };
}
