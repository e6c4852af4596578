import type { Context } from "koa";
import { inject, injectable } from "tsyringe";
import type { RequestMeta } from "../../../application/request-context.js";
import type { SessionGrant } from "../../../application/services/session-tokens.service.js";
import { ListSessions } from "../../../application/use-cases/list-sessions.use-case.js";
import { ResendVerification } from "../../../application/use-cases/resend-verification.use-case.js";
import { RevokeOtherSessions } from "../../../application/use-cases/revoke-other-sessions.use-case.js";
import { RevokeSession } from "../../../application/use-cases/revoke-session.use-case.js";
import { RotateRefreshToken } from "../../../application/use-cases/rotate-refresh-token.use-case.js";
import { SignIn } from "../../../application/use-cases/sign-in.use-case.js";
import { SignOut } from "../../../application/use-cases/sign-out.use-case.js";
import { SignUp } from "../../../application/use-cases/sign-up.use-case.js";
import { VerifyUser } from "../../../application/use-cases/verify-user.use-case.js";
import { InvalidTokenError, SessionNotFoundError } from "../../../domain/errors.js";
import {
  ACCESS_COOKIE,
  REFRESH_COOKIE,
  bearerToken,
  clearSessionCookies,
  presentTokens,
  setSessionCookies,
  wantsTokenMode,
} from "../cookies.js";
import { respond } from "../envelope.js";
import { HTTP_SETTINGS } from "../http-tokens.js";
import type { HttpSettings } from "../http-settings.js";
import { authOf } from "../middleware/auth.middleware.js";
import { presentUser } from "../presenters/user.presenter.js";
import { EmailBody, RefreshBody, SignInBody, SignUpBody, VerifyUserBody } from "../schemas/auth.schemas.js";
import { route, type HttpModule, type RouteSpec } from "../route-spec.js";
import { AUTH_PREFIX } from "../paths.js";
import * as v from "valibot";

export function requestMeta(ctx: Context): RequestMeta {
  return { ip: ctx.ip || null, userAgent: ctx.get("User-Agent") || null };
}

const SessionIdParam = v.object({ sessionId: v.pipe(v.string(), v.uuid("sessionId must be a session id")) });

/** Thin: parse → one use case → present. */
@injectable()
export class AuthController implements HttpModule {
  constructor(
    @inject(SignUp) private readonly signUpUseCase: SignUp,
    @inject(VerifyUser) private readonly verifyUserUseCase: VerifyUser,
    @inject(ResendVerification) private readonly resendUseCase: ResendVerification,
    @inject(SignIn) private readonly signInUseCase: SignIn,
    @inject(RotateRefreshToken) private readonly rotateUseCase: RotateRefreshToken,
    @inject(SignOut) private readonly signOutUseCase: SignOut,
    @inject(ListSessions) private readonly listSessionsUseCase: ListSessions,
    @inject(RevokeSession) private readonly revokeSessionUseCase: RevokeSession,
    @inject(RevokeOtherSessions) private readonly revokeOthersUseCase: RevokeOtherSessions,
    @inject(HTTP_SETTINGS) private readonly settings: HttpSettings,
  ) {}

  routes(): RouteSpec[] {
    const P = AUTH_PREFIX;
    const common = { 400: "Validation failed (errors name each field)", 429: "Too many requests" };
    return [
      route({ method: "post", path: `${P}/signup`, tag: "auth", auth: "none", body: SignUpBody, handler: this.signUp,
        summary: "Create an unverified account and mail a 6-digit code",
        description: "Same answer whether or not the address is registered; a verified owner gets a notice mail instead.",
        responses: { 201: "Accepted; a code was mailed if the address can be registered", ...common } }),
      route({ method: "post", path: `${P}/verify-user`, tag: "auth", auth: "none", body: VerifyUserBody, handler: this.verifyUser,
        summary: "Verify the email address with the mailed code",
        responses: { 200: "Verified; data.user", 400: "INVALID_CODE or validation failed", 429: "Too many requests" } }),
      route({ method: "post", path: `${P}/resend-verification`, tag: "auth", auth: "none", body: EmailBody, handler: this.resendVerification,
        summary: "Mail a fresh verification code (always 200)", responses: { 200: "Accepted", ...common } }),
      route({ method: "post", path: `${P}/signin`, tag: "auth", auth: "none", body: SignInBody, handler: this.signIn,
        // A blocked address or IP is refused in the same store round trip as the IP budget.
        precheck: (ctx, body) => this.signInUseCase.refuseIfBlocked({ email: body.email, meta: requestMeta(ctx) }),
        // A block this instance already knows is answered without waiting for the store.
        knownRefusal: (ctx, body) => this.signInUseCase.refuseIfKnownBlocked({ email: body.email, meta: requestMeta(ctx) }),
        summary: "Sign in with email and password",
        description: "Sets the accessToken, refreshToken and sid cookies, or returns data.tokens with X-Auth-Mode: token.",
        responses: { 200: "Signed in; data.user", 401: "INVALID_CREDENTIALS", 403: "EMAIL_NOT_VERIFIED", ...common, 429: "TOO_MANY_ATTEMPTS (Retry-After)" } }),
      route({ method: "get", path: `${P}/profile`, tag: "auth", auth: "access", handler: this.profile,
        summary: "The signed-in user", responses: { 200: "data.user", 401: "Not signed in or session revoked" } }),
      route({ method: "get", path: `${P}/sessions`, tag: "sessions", auth: "access", handler: this.listSessions,
        summary: "List the caller's live sessions", responses: { 200: "data.sessions", 401: "Not signed in" } }),
      route({ method: "delete", path: `${P}/sessions`, tag: "sessions", auth: "access", handler: this.revokeOtherSessions,
        summary: "Revoke every session except the current one", responses: { 200: "data.revoked", 401: "Not signed in" } }),
      route({ method: "delete", path: `${P}/sessions/:sessionId`, tag: "sessions", auth: "access", handler: this.revokeSession,
        summary: "Revoke one of the caller's sessions", responses: { 200: "Revoked", 401: "Not signed in", 404: "SESSION_NOT_FOUND" } }),
      route({ method: "post", path: `${P}/refresh-token`, tag: "sessions", auth: "none", body: RefreshBody, handler: this.refresh,
        summary: "Rotate the token pair (refresh token from the cookie or the body)",
        responses: { 200: "New pair", 401: "INVALID_TOKEN or SESSION_REVOKED (reuse detected)", 429: "Too many requests" } }),
      route({ method: "post", path: `${P}/logout`, tag: "sessions", auth: "none", body: RefreshBody, handler: this.signOut,
        summary: "End the current session and clear cookies (idempotent)", responses: { 200: "Signed out" } }),
    ];
  }

  signUp = async (ctx: Context, body: v.InferOutput<typeof SignUpBody>): Promise<void> => {
    const out = await this.signUpUseCase.execute({ name: body.name, email: body.email, password: body.password });
    respond(ctx, 201, "If the address can be registered, a verification code has been sent to it", { email: out.email });
  };

  verifyUser = async (ctx: Context, body: v.InferOutput<typeof VerifyUserBody>): Promise<void> => {
    const { user } = await this.verifyUserUseCase.execute({ email: body.email, otpCode: body.otpCode });
    respond(ctx, 200, "Email verified", { user: presentUser(user) });
  };

  resendVerification = async (ctx: Context, body: v.InferOutput<typeof EmailBody>): Promise<void> => {
    await this.resendUseCase.execute({ email: body.email });
    respond(ctx, 200, "If the address has an unverified account, a new code has been sent");
  };

  signIn = async (ctx: Context, body: v.InferOutput<typeof SignInBody>): Promise<void> => {
    const out = await this.signInUseCase.execute({ email: body.email, password: body.password, meta: requestMeta(ctx) });
    respond(ctx, 200, "Signed in", this.deliver(ctx, out, { user: presentUser(out.user) }));
  };

  profile = async (ctx: Context): Promise<void> => {
    // Authentication read the account alongside the session check; reading it again would
    // cost a second round trip for the same row.
    respond(ctx, 200, "Profile", { user: presentUser(authOf(ctx).user) });
  };

  refresh = async (ctx: Context, body: v.InferOutput<typeof RefreshBody>): Promise<void> => {
    const refreshToken = body.refreshToken ?? ctx.cookies.get(REFRESH_COOKIE);
    if (!refreshToken) throw new InvalidTokenError("A refresh token is required");
    const out = await this.rotateUseCase.execute({ refreshToken });
    respond(ctx, 200, "Tokens refreshed", this.deliver(ctx, out, { user: presentUser(out.user) }));
  };

  signOut = async (ctx: Context, body: v.InferOutput<typeof RefreshBody>): Promise<void> => {
    await this.signOutUseCase.execute({
      accessToken: bearerToken(ctx) ?? ctx.cookies.get(ACCESS_COOKIE) ?? null,
      refreshToken: body.refreshToken ?? ctx.cookies.get(REFRESH_COOKIE) ?? null,
    });
    clearSessionCookies(ctx, this.settings);
    respond(ctx, 200, "Signed out");
  };

  listSessions = async (ctx: Context): Promise<void> => {
    const auth = authOf(ctx);
    const { sessions } = await this.listSessionsUseCase.execute({ userId: auth.userId, currentSessionId: auth.sessionId });
    respond(ctx, 200, "Sessions", { sessions });
  };

  revokeSession = async (ctx: Context): Promise<void> => {
    const auth = authOf(ctx);
    // A malformed id answers like an unknown one.
    if (!v.is(SessionIdParam, ctx.params)) throw new SessionNotFoundError();
    const { sessionId } = ctx.params as v.InferOutput<typeof SessionIdParam>;
    const out = await this.revokeSessionUseCase.execute({ userId: auth.userId, sessionId, currentSessionId: auth.sessionId, meta: requestMeta(ctx) });
    if (out.wasCurrent) clearSessionCookies(ctx, this.settings);
    respond(ctx, 200, "Session revoked");
  };

  revokeOtherSessions = async (ctx: Context): Promise<void> => {
    const auth = authOf(ctx);
    const out = await this.revokeOthersUseCase.execute({ userId: auth.userId, currentSessionId: auth.sessionId, meta: requestMeta(ctx) });
    respond(ctx, 200, "Other sessions revoked", { revoked: out.revoked });
  };

  /** Cookies for browsers; tokens in the body for clients that ask with X-Auth-Mode: token. */
  private deliver(ctx: Context, grant: SessionGrant, data: Record<string, unknown>): Record<string, unknown> {
    if (wantsTokenMode(ctx)) return { ...data, tokens: presentTokens(grant.tokens) };
    setSessionCookies(ctx, this.settings, grant.session.id, grant.tokens);
    return data;
  }
}
