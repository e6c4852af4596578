import type { Context } from "koa";
import { inject, injectable } from "tsyringe";
import * as v from "valibot";
import type { SessionGrant } from "../../../application/services/session-tokens.service.js";
import { HardDeleteAccount } from "../../../application/use-cases/hard-delete-account.use-case.js";
import { ReactivateAccount } from "../../../application/use-cases/reactivate-account.use-case.js";
import { RequestAccountDeletion } from "../../../application/use-cases/request-account-deletion.use-case.js";
import { SoftDeleteAccount } from "../../../application/use-cases/soft-delete-account.use-case.js";
import { InvalidTokenError, ValidationError } from "../../../domain/errors.js";
import { clearSessionCookies, presentTokens, setSessionCookies, wantsTokenMode } from "../cookies.js";
import { respond } from "../envelope.js";
import { HTTP_SETTINGS } from "../http-tokens.js";
import type { HttpSettings } from "../http-settings.js";
import { authOf } from "../middleware/auth.middleware.js";
import { AUTH_PREFIX } from "../paths.js";
import { presentUser } from "../presenters/user.presenter.js";
import { route, type HttpModule, type RouteSpec } from "../route-spec.js";
import { DeleteAccountBody, RequestDeleteBody, deletionType } from "../schemas/account.schemas.js";
import { requestMeta } from "./auth.controller.js";

/** Account lifecycle: request a deletion, delete (soft or hard), reactivate. Thin, like the others. */
@injectable()
export class AccountController implements HttpModule {
  constructor(
    @inject(RequestAccountDeletion) private readonly requestDeletion: RequestAccountDeletion,
    @inject(SoftDeleteAccount) private readonly softDelete: SoftDeleteAccount,
    @inject(HardDeleteAccount) private readonly hardDelete: HardDeleteAccount,
    @inject(ReactivateAccount) private readonly reactivate: ReactivateAccount,
    @inject(HTTP_SETTINGS) private readonly settings: HttpSettings,
  ) {}

  routes(): RouteSpec[] {
    const P = `${AUTH_PREFIX}/account`;
    return [
      route({ method: "post", path: `${P}/request-delete`, tag: "account", auth: "access", body: RequestDeleteBody, handler: this.requestDelete,
        summary: "Mail a single-use deletion link (valid 15 minutes) after checking the password",
        description: "Accounts without a password (OAuth only) set one through the password reset first.",
        responses: { 200: "Link mailed; data.expiresAt", 400: "Validation failed", 401: "INVALID_CREDENTIALS (counts toward the lockout) or not signed in",
          403: "ACCOUNT_DEACTIVATED", 429: "TOO_MANY_ATTEMPTS (Retry-After)" } }),
      route({ method: "delete", path: `${P}/delete`, tag: "account", auth: "access", body: DeleteAccountBody, handler: this.delete,
        summary: "Delete the account with the mailed token: soft (default, reactivatable during the retention window) or hard (now)",
        description: "The token may also be sent as ?token= (old clients); it is redacted from logs. Clears the session cookies.",
        responses: { 200: "Deleted; data.type (and data.purgeAfter for soft)", 400: "Validation failed", 401: "INVALID_TOKEN (bad, used or expired) or not signed in",
          403: "ACCOUNT_DEACTIVATED", 503: "SERVICE_UNAVAILABLE (e.g. the image store; the account is left intact)" } }),
      route({ method: "put", path: `${P}/reactivate`, tag: "account", auth: "access", allowDeactivated: true, handler: this.reactivateAccount,
        summary: "Reactivate a soft-deleted account inside its retention window",
        description: "Needs the restricted session a deactivated account gets at sign-in; answers with a fresh normal session (cookies, or data.tokens with X-Auth-Mode: token).",
        responses: { 200: "Reactivated; data.user", 401: "Not signed in", 409: "ACCOUNT_NOT_DEACTIVATED", 410: "REACTIVATION_WINDOW_CLOSED" } }),
    ];
  }

  requestDelete = async (ctx: Context, body: v.InferOutput<typeof RequestDeleteBody>): Promise<void> => {
    const out = await this.requestDeletion.execute({ userId: authOf(ctx).userId, password: body.password, meta: requestMeta(ctx) });
    respond(ctx, 200, "A link to confirm the deletion has been mailed to you", { expiresAt: out.expiresAt.toISOString() });
  };

  delete = async (ctx: Context, body: v.InferOutput<typeof DeleteAccountBody>): Promise<void> => {
    const auth = authOf(ctx);
    const token = body.token || single(ctx.query.token);
    if (!token) throw new InvalidTokenError("A deletion token is required");
    const type = this.typeOf(ctx, body);
    const input = { userId: auth.userId, token, meta: requestMeta(ctx) };
    if (type === "hard") {
      await this.hardDelete.execute(input);
      clearSessionCookies(ctx, this.settings);
      respond(ctx, 200, "Account deleted", { type });
      return;
    }
    const out = await this.softDelete.execute(input);
    clearSessionCookies(ctx, this.settings);
    respond(ctx, 200, "Account deactivated; sign in and reactivate it before it is erased", { type, purgeAfter: out.purgeAfter.toISOString() });
  };

  reactivateAccount = async (ctx: Context): Promise<void> => {
    const auth = authOf(ctx);
    const out = await this.reactivate.execute({ userId: auth.userId, sessionId: auth.sessionId, meta: requestMeta(ctx) });
    respond(ctx, 200, "Account reactivated", this.deliver(ctx, out, { user: presentUser(out.user) }));
  };

  /** `type` from the body, or ?type= for the old clients that put the token in the query too. */
  private typeOf(ctx: Context, body: v.InferOutput<typeof DeleteAccountBody>): "soft" | "hard" {
    const fromQuery = single(ctx.query.type);
    const hasBodyType = !!ctx.request.body && typeof ctx.request.body === "object" && "type" in ctx.request.body;
    if (hasBodyType || fromQuery === undefined) return body.type;
    const parsed = v.safeParse(deletionType, fromQuery);
    if (!parsed.success) throw ValidationError.field("type", 'type must be "soft" or "hard"');
    return parsed.output;
  }

  /** Cookies for browsers; tokens in the body for clients that ask with X-Auth-Mode: token. */
  private deliver(ctx: Context, grant: SessionGrant, data: Record<string, unknown>): Record<string, unknown> {
    if (wantsTokenMode(ctx)) return { ...data, tokens: presentTokens(grant.tokens) };
    setSessionCookies(ctx, this.settings, grant.session.id, grant.tokens);
    return data;
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
