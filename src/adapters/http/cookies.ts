import type { Context } from "koa";
import type { TokenPair } from "../../application/services/session-tokens.service.js";
import type { HttpSettings } from "./http-settings.js";

export const ACCESS_COOKIE = "accessToken";
export const REFRESH_COOKIE = "refreshToken";
export const SID_COOKIE = "sid";
/** The refresh token is sent only to the auth routes, never to the rest of the API. */
export const REFRESH_COOKIE_PATH = "/api/v1/auth";

export type CookieSettings = Pick<HttpSettings, "cookieSecure" | "cookieSameSite" | "basePath">;

/**
 * A route-scoped cookie path as the browser sees it: behind a prefix that a proxy or a parent app
 * strips (BASE_PATH), the browser asks for `${basePath}/api/v1/auth/...` and must still send it.
 */
export function cookiePath(settings: Pick<HttpSettings, "basePath">, path: string): string {
  return `${settings.basePath ?? ""}${path}`;
}

function base(ctx: Context, settings: CookieSettings) {
  // Behind a TLS-terminating proxy without TRUST_PROXY, Koa would refuse Secure cookies.
  if (settings.cookieSecure) (ctx.cookies as unknown as { secure: boolean }).secure = true;
  return { httpOnly: true, secure: settings.cookieSecure, sameSite: settings.cookieSameSite, overwrite: true } as const;
}

export function setSessionCookies(ctx: Context, settings: CookieSettings, sessionId: string, tokens: TokenPair): void {
  const opts = base(ctx, settings);
  ctx.cookies.set(ACCESS_COOKIE, tokens.accessToken, { ...opts, path: "/", expires: tokens.accessTokenExpiresAt });
  ctx.cookies.set(REFRESH_COOKIE, tokens.refreshToken, { ...opts, path: cookiePath(settings, REFRESH_COOKIE_PATH), expires: tokens.refreshTokenExpiresAt });
  ctx.cookies.set(SID_COOKIE, sessionId, { ...opts, path: "/", expires: tokens.refreshTokenExpiresAt });
}

export function clearSessionCookies(ctx: Context, settings: CookieSettings): void {
  const opts = { ...base(ctx, settings), expires: new Date(0) };
  ctx.cookies.set(ACCESS_COOKIE, "", { ...opts, path: "/" });
  ctx.cookies.set(REFRESH_COOKIE, "", { ...opts, path: cookiePath(settings, REFRESH_COOKIE_PATH) });
  ctx.cookies.set(SID_COOKIE, "", { ...opts, path: "/" });
}

/** Non-browser clients ask for tokens in the body instead of cookies. */
export function wantsTokenMode(ctx: Context): boolean {
  return ctx.get("X-Auth-Mode").trim().toLowerCase() === "token";
}

export function bearerToken(ctx: Context): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get("Authorization"));
  return match ? match[1]! : null;
}

export function presentTokens(tokens: TokenPair) {
  return {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    accessTokenExpiresAt: tokens.accessTokenExpiresAt.toISOString(),
    refreshTokenExpiresAt: tokens.refreshTokenExpiresAt.toISOString(),
  };
}
