import type { Context, Next } from "koa";
import { AccountDeactivatedError, UnauthenticatedError } from "../../../domain/errors.js";
import type { AuthenticateAccessToken } from "../../../application/use-cases/authenticate-access-token.use-case.js";
import type { User } from "../../../domain/user.entity.js";
import { ACCESS_COOKIE, bearerToken } from "../cookies.js";

export interface AuthState {
  userId: string;
  sessionId: string;
  role: string;
  via: "cookie" | "bearer";
  scope?: "reactivate";
  /** The signed-in account as read while authenticating this request. */
  user: User;
}

/** Sets ctx.state.auth or refuses with 401. Runs before any body byte is read. */
export function requireAuth(authenticate: AuthenticateAccessToken, options: { allowDeactivated?: boolean } = {}) {
  return async function authenticateRequest(ctx: Context, next: Next): Promise<void> {
    const bearer = bearerToken(ctx);
    const token = bearer ?? ctx.cookies.get(ACCESS_COOKIE);
    if (!token) throw new UnauthenticatedError();
    const claims = await authenticate.execute({ accessToken: token });
    if (claims.scope === "reactivate" && !options.allowDeactivated) throw new AccountDeactivatedError();
    ctx.state.auth = { ...claims, via: bearer ? "bearer" : "cookie" } satisfies AuthState;
    await next();
  };
}

export function authOf(ctx: Context): AuthState {
  const auth = ctx.state.auth as AuthState | undefined;
  if (!auth) throw new UnauthenticatedError();
  return auth;
}
