import type { Context } from "koa";
import { inject, injectable } from "tsyringe";
import type { Logger } from "../../../application/ports/logger.port.js";
import { TOKENS } from "../../../application/tokens.js";
import { OAuthSignIn } from "../../../application/use-cases/oauth-sign-in.use-case.js";
import {
  AccountExistsUnverifiedLinkError,
  InvalidCodeError,
  OAuthFailedError,
  ProviderNotConfiguredError,
  ReactivationWindowClosedError,
  ServiceUnavailableError,
  TooManyAttemptsError,
  ValidationError,
} from "../../../domain/errors.js";
import { OAUTH_PROVIDERS, type OAuthProvider } from "../../../domain/identity.entity.js";
import { OAuthHandoff } from "../../oauth/oauth-handoff.js";
import { OAUTH_SETTINGS, type OAuthSettings } from "../../oauth/oauth-settings.js";
import { PassportOAuthGateway, type OAuthErrorCode } from "../../oauth/passport-oauth.gateway.js";
import { presentTokens, setSessionCookies, wantsTokenMode } from "../cookies.js";
import { respond } from "../envelope.js";
import type { HttpSettings } from "../http-settings.js";
import { HTTP_SETTINGS } from "../http-tokens.js";
import { OAUTH_PREFIX } from "../paths.js";
import { presentUser } from "../presenters/user.presenter.js";
import { route, type HttpModule, type RouteSpec } from "../route-spec.js";
import { OAuthCodeBody, S256_CHALLENGE } from "../schemas/oauth.schemas.js";
import { requestMeta } from "./auth.controller.js";
import type * as v from "valibot";

type RedirectError = OAuthErrorCode | "reactivation_window_closed";

const LABEL: Record<OAuthProvider, string> = { github: "GitHub", google: "Google", facebook: "Facebook" };

/**
 * Sign-in with GitHub, Google and Facebook. The browser always ends on CLIENT_URL: with the
 * session cookies, with `?code=` for token-mode clients (exchanged at POST /token), or with
 * `?error=<code>`; a callback never answers 500.
 */
@injectable()
export class OAuthController implements HttpModule {
  constructor(
    @inject(OAuthSignIn) private readonly oauthSignIn: OAuthSignIn,
    @inject(PassportOAuthGateway) private readonly gateway: PassportOAuthGateway,
    @inject(OAuthHandoff) private readonly handoff: OAuthHandoff,
    @inject(OAUTH_SETTINGS) private readonly settings: OAuthSettings,
    @inject(HTTP_SETTINGS) private readonly http: HttpSettings,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  routes(): RouteSpec[] {
    const P = OAUTH_PREFIX;
    const specs: RouteSpec[] = [];
    for (const provider of OAUTH_PROVIDERS) {
      const name = LABEL[provider];
      specs.push(
        route({ method: "get", path: `${P}/${provider}`, tag: "oauth", auth: "none", handler: (ctx) => this.start(ctx, provider),
          summary: `Start sign-in with ${name}`,
          description:
            "Redirects to the provider with a state bound to this browser (cookie, 10 minutes, single use)" +
            (provider === "facebook" ? "." : " and PKCE (S256).") +
            " `?mode=token` (or X-Auth-Mode: token) makes the callback hand over a one-time code instead of cookies;" +
            " with `code_challenge=<BASE64URL(SHA-256(verifier))>&code_challenge_method=S256` that code is good only with the verifier (RFC 7636).",
          responses: { 302: "To the provider", 400: "code_challenge or code_challenge_method malformed, or missing in token mode when OAUTH_REQUIRE_PKCE is on", 404: "PROVIDER_NOT_CONFIGURED" } }),
        route({ method: "get", path: `${P}/${provider}/callback`, tag: "oauth", auth: "none", handler: (ctx) => this.callback(ctx, provider),
          summary: `Finish sign-in with ${name}`,
          description:
            "Always redirects to CLIENT_URL: with the session cookies set, with `?code=` (token mode), or with `?error=` one of " +
            "oauth_state_invalid, provider_error, provider_unavailable, account_exists_unverified_link, too_many_attempts, " +
            "email_missing, reactivation_window_closed, service_unavailable, oauth_failed, server_error.",
          responses: { 302: "To CLIENT_URL", 404: "PROVIDER_NOT_CONFIGURED" } }),
      );
    }
    specs.push(
      route({ method: "post", path: `${P}/token`, tag: "oauth", auth: "none", body: OAuthCodeBody, handler: this.exchange,
        summary: "Exchange the one-time code of a token-mode OAuth sign-in for tokens",
        description:
          "The code comes from the redirect after `GET /api/auth/<provider>?mode=token`; it is good once, for 60 seconds. " +
          "A sign-in started with a code_challenge is exchanged with its codeVerifier; a wrong or missing verifier spends the code.",
        responses: { 200: "data.user and data.tokens", 400: "INVALID_CODE (wrong, used or expired, or the verifier does not match) or validation failed" } }),
    );
    return specs;
  }

  private async start(ctx: Context, provider: OAuthProvider): Promise<void> {
    if (!this.gateway.isEnabled(provider)) throw new ProviderNotConfiguredError(LABEL[provider]);
    const mode = ctx.query.mode === "token" || wantsTokenMode(ctx) ? "token" : "cookie";
    const clientChallenge = clientChallengeOf(ctx, mode, !!this.settings.requireClientPkce);
    ctx.set("Cache-Control", "no-store");
    try {
      await this.gateway.start(ctx, provider, mode, clientChallenge ?? undefined);
    } catch (err) {
      this.fail(ctx, provider, err instanceof ServiceUnavailableError ? "service_unavailable" : "server_error", err);
    }
  }

  private async callback(ctx: Context, provider: OAuthProvider): Promise<void> {
    if (!this.gateway.isEnabled(provider)) throw new ProviderNotConfiguredError(LABEL[provider]);
    ctx.set("Cache-Control", "no-store");
    const outcome = await this.gateway.finish(ctx, provider);
    if (!outcome.ok) return this.fail(ctx, provider, outcome.error, outcome.cause);
    try {
      const out = await this.oauthSignIn.execute({ provider, profile: outcome.profile, meta: requestMeta(ctx) });
      if (outcome.mode === "token") {
        const code = await this.handoff.issue({ user: presentUser(out.user), tokens: presentTokens(out.tokens) }, outcome.clientChallenge);
        return this.redirect(ctx, `${this.settings.clientUrl}/?code=${encodeURIComponent(code)}`);
      }
      setSessionCookies(ctx, this.http, out.session.id, out.tokens);
      this.redirect(ctx, this.settings.clientUrl);
    } catch (err) {
      this.fail(ctx, provider, errorCodeOf(err), err);
    }
  }

  exchange = async (ctx: Context, body: v.InferOutput<typeof OAuthCodeBody>): Promise<void> => {
    ctx.set("Cache-Control", "no-store");
    const payload = await this.handoff.redeem(body.code, body.codeVerifier ?? null);
    if (!payload) throw new InvalidCodeError();
    respond(ctx, 200, "Signed in", payload);
  };

  private fail(ctx: Context, provider: OAuthProvider, code: RedirectError, cause: unknown): void {
    if (code === "server_error") this.logger.error({ err: cause, provider }, "oauth sign-in failed unexpectedly");
    else this.logger.info({ provider, code, reason: describe(cause) }, "oauth sign-in refused");
    this.redirect(ctx, `${this.settings.clientUrl}/?error=${code}`);
  }

  private redirect(ctx: Context, url: string): void {
    ctx.status = 302;
    ctx.redirect(url);
  }
}

/**
 * A token-mode client's own PKCE challenge (`code_challenge`, `code_challenge_method=S256`), or
 * null. Refused with the field named: a plain challenge, a malformed one, one in cookie mode, or
 * none in token mode when the deployment requires it (OAUTH_REQUIRE_PKCE).
 */
function clientChallengeOf(ctx: Context, mode: "cookie" | "token", required: boolean): string | null {
  const { code_challenge: challenge, code_challenge_method: method } = ctx.query;
  if (challenge === undefined && method === undefined) {
    if (required && mode === "token")
      throw ValidationError.field("code_challenge", "code_challenge is required for token mode: BASE64URL(SHA-256(code_verifier)) with code_challenge_method=S256");
    return null;
  }
  if (mode !== "token") throw ValidationError.field("code_challenge", "code_challenge is for token mode (mode=token or X-Auth-Mode: token)");
  if (typeof challenge !== "string" || !S256_CHALLENGE.test(challenge))
    throw ValidationError.field("code_challenge", "code_challenge must be BASE64URL(SHA-256(code_verifier)), 43 characters");
  if (method !== "S256") throw ValidationError.field("code_challenge_method", "code_challenge_method must be S256");
  return challenge;
}

function errorCodeOf(err: unknown): RedirectError {
  if (err instanceof AccountExistsUnverifiedLinkError) return "account_exists_unverified_link";
  if (err instanceof TooManyAttemptsError) return "too_many_attempts";
  if (err instanceof ReactivationWindowClosedError) return "reactivation_window_closed";
  if (err instanceof ServiceUnavailableError) return "service_unavailable";
  if (err instanceof OAuthFailedError) return err.reason === "email_missing" ? "email_missing" : "oauth_failed";
  return "server_error";
}

/** A one-line reason for the log: never the query (state, code) or a token. */
function describe(cause: unknown): string | undefined {
  if (!(cause instanceof Error)) return undefined;
  return `${cause.name}: ${cause.message}`.slice(0, 200);
}
