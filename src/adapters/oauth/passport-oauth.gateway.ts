import type { ClientRequest, IncomingMessage, RequestOptions } from "node:http";
import type { Context } from "koa";
import koaPassport from "koa-passport";
import { Strategy as FacebookStrategy } from "passport-facebook";
import { Strategy as GitHubStrategy } from "passport-github2";
import { Strategy as GoogleStrategy } from "passport-google-oauth20";
import type { Logger } from "../../application/ports/logger.port.js";
import type { OAuthProfile } from "../../application/use-cases/oauth-sign-in.use-case.js";
import { ServiceUnavailableError } from "../../domain/errors.js";
import { OAUTH_PROVIDERS, type OAuthProvider } from "../../domain/identity.entity.js";
import type { OAuthProviderSettings, OAuthSettings } from "./oauth-settings.js";
import { normaliseProfile, type PassportProfile } from "./provider-profile.js";
import { PassportStateStore, STATE_INVALID, type DeliveryMode, type FlowInfo, type PassportStateStoreDeps } from "./passport-state.store.js";

/** passport's Strategy type, reached through koa-passport (passport itself is not our dependency). */
type PassportStrategy = Parameters<InstanceType<typeof koaPassport.KoaPassport>["use"]>[1];

/** Error codes put in `?error=` of the redirect to the client. */
export type OAuthErrorCode =
  | typeof STATE_INVALID
  | "provider_error"
  | "provider_unavailable"
  | "service_unavailable"
  | "account_exists_unverified_link"
  | "too_many_attempts"
  | "email_missing"
  | "oauth_failed"
  | "server_error";

export type CallbackOutcome =
  | { ok: true; profile: OAuthProfile; mode: DeliveryMode; clientChallenge: string | null }
  | { ok: false; error: OAuthErrorCode; cause?: unknown };

const DEFAULT_PROVIDER_TIMEOUT_MS = 5_000;
// Token, profile and (GitHub) emails requests in a row, plus the state store.
const REQUESTS_PER_CALLBACK = 3;

/** A provider request that outlived its deadline. */
class ProviderTimeoutError extends Error {
  readonly code = "ETIMEDOUT";
  constructor() {
    super("the provider did not answer in time");
    this.name = "ProviderTimeoutError";
  }
}

/**
 * The driving side of OAuth: three passport strategies on a dedicated koa-passport instance
 * (never the global singleton, never passport sessions). The verify callback only turns the
 * provider's profile into an OAuthProfile; deciding who signs in is the use case's job.
 */
export class PassportOAuthGateway {
  readonly #passport = new koaPassport.KoaPassport();
  readonly #stores = new Map<OAuthProvider, PassportStateStore>();
  readonly #timeoutMs: number;

  constructor(
    private readonly settings: OAuthSettings,
    deps: PassportStateStoreDeps,
    private readonly logger: Logger,
  ) {
    this.#timeoutMs = settings.providerTimeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS;
    for (const provider of OAUTH_PROVIDERS) {
      const config = settings.providers[provider];
      if (!config) continue;
      const store = new PassportStateStore(provider, deps);
      const strategy = createStrategy(provider, config, store);
      boundProviderRequests(strategy, this.#timeoutMs, logger);
      this.#passport.use(provider, strategy as unknown as PassportStrategy);
      this.#stores.set(provider, store);
    }
  }

  enabledProviders(): OAuthProvider[] {
    return OAUTH_PROVIDERS.filter((p) => this.#stores.has(p));
  }

  isEnabled(provider: OAuthProvider): boolean {
    return this.#stores.has(provider);
  }

  /** Redirects the browser to the provider (state and PKCE stored); throws if the flow cannot be stored. */
  async start(ctx: Context, provider: OAuthProvider, mode: DeliveryMode, clientChallenge?: string): Promise<void> {
    const state: FlowInfo = { mode };
    if (clientChallenge) state.clientChallenge = clientChallenge;
    await this.#passport.authenticate(provider, { session: false, state })(ctx, async () => {});
  }

  /** Runs the callback half of the dance; never throws, every failure is an error code. */
  async finish(ctx: Context, provider: OAuthProvider): Promise<CallbackOutcome> {
    const store = this.#stores.get(provider)!;
    const query = ctx.query;
    if (query.error !== undefined || query.error_code !== undefined || typeof query.code !== "string" || !query.code) {
      // The user declined, or the provider refused: the flow is over either way.
      await store.discard(ctx).catch(() => {});
      return { ok: false, error: "provider_error" };
    }

    let settle!: (outcome: CallbackOutcome) => void;
    const result = new Promise<CallbackOutcome>((resolve) => (settle = resolve));
    const deadline = setTimeout(
      () => settle({ ok: false, error: "provider_unavailable", cause: new ProviderTimeoutError() }),
      this.#timeoutMs * REQUESTS_PER_CALLBACK + 2_000,
    );
    const middleware = this.#passport.authenticate(provider, { session: false }, (err: unknown, user: unknown, info: unknown) => {
      if (err) return settle({ ok: false, error: classify(err), cause: err });
      if (!user) {
        const reason = (info as { reason?: unknown } | undefined)?.reason;
        return settle({ ok: false, error: reason === STATE_INVALID ? STATE_INVALID : "provider_error" });
      }
      const flow = (info as { state?: Partial<FlowInfo> } | undefined)?.state;
      const mode = flow?.mode === "token" ? "token" : "cookie";
      settle({ ok: true, profile: user as OAuthProfile, mode, clientChallenge: mode === "token" ? (flow?.clientChallenge ?? null) : null });
    });
    middleware(ctx, async () => {}).catch((err: unknown) => settle({ ok: false, error: classify(err), cause: err }));
    try {
      return await result;
    } finally {
      clearTimeout(deadline);
    }
  }
}

function createStrategy(provider: OAuthProvider, config: OAuthProviderSettings, store: PassportStateStore) {
  // Exactly four parameters: passport-oauth2 calls verify by arity.
  const verify = (_accessToken: string, _refreshToken: string, profile: PassportProfile, done: (err: unknown, user?: OAuthProfile) => void) => {
    let normalised: OAuthProfile;
    try {
      normalised = normaliseProfile(provider, profile);
    } catch (err) {
      return done(err);
    }
    done(null, normalised);
  };
  const common = {
    clientID: config.clientId,
    clientSecret: config.clientSecret,
    callbackURL: config.redirectUri,
    store,
    ...(config.authorizationUrl ? { authorizationURL: config.authorizationUrl } : {}),
    ...(config.tokenUrl ? { tokenURL: config.tokenUrl } : {}),
  };
  switch (provider) {
    case "github":
      return new GitHubStrategy(
        {
          ...common,
          // GitHub supports PKCE for OAuth apps; the verified flags come from the emails API only.
          pkce: true,
          scope: ["read:user", "user:email"],
          allRawEmails: true,
          userAgent: "hybrid-auth",
          ...(config.profileUrl ? { userProfileURL: config.profileUrl } : {}),
          ...(config.emailsUrl ? { userEmailURL: config.emailsUrl } : {}),
        } as unknown as ConstructorParameters<typeof GitHubStrategy>[0],
        verify as never,
      );
    case "google":
      return new GoogleStrategy(
        {
          ...common,
          pkce: true,
          scope: ["openid", "email", "profile"],
          ...(config.profileUrl ? { userProfileURL: config.profileUrl } : {}),
        } as unknown as ConstructorParameters<typeof GoogleStrategy>[0],
        verify as never,
      );
    case "facebook":
      return new FacebookStrategy(
        {
          ...common,
          // Facebook's web login has no PKCE; the state and the app secret protect the code.
          scope: ["email"],
          profileFields: ["id", "displayName", "emails"],
          enableProof: true,
          ...(config.profileUrl ? { profileURL: config.profileUrl } : {}),
        } as unknown as ConstructorParameters<typeof FacebookStrategy>[0],
        verify as never,
      );
  }
}

type OAuthCallback = (err: unknown, data?: string, res?: IncomingMessage) => void;
interface HttpLibrary {
  request(options: RequestOptions): ClientRequest;
}
interface NodeOAuth2 {
  _executeRequest(lib: HttpLibrary, options: RequestOptions, body: unknown, callback: OAuthCallback): void;
}

/**
 * node-oauth (under passport-oauth2) has no timeouts and hands GET bodies to parsers that
 * throw outside any try (passport-github2's emails call): a slow or broken provider would hang
 * the request or crash the process. Every provider request gets a deadline, GET answers must
 * be JSON, and the callback runs at most once.
 */
function boundProviderRequests(strategy: object, timeoutMs: number, logger: Logger): void {
  const oauth2 = (strategy as { _oauth2?: NodeOAuth2 })._oauth2;
  if (!oauth2 || typeof oauth2._executeRequest !== "function") throw new Error("passport-oauth2 internals changed: cannot bound provider requests");
  const execute = oauth2._executeRequest.bind(oauth2);
  oauth2._executeRequest = (lib, options, body, callback) => {
    let called = false;
    const once: OAuthCallback = (err, data, res) => {
      if (called) return;
      called = true;
      if (!err && options.method === "GET" && !isJson(data)) err = { statusCode: 502, data: "" };
      try {
        callback(err, data, res);
      } catch (thrown) {
        // The strategy never calls back now; the gateway's overall deadline answers the user.
        logger.warn({ err: thrown }, "oauth provider answer could not be processed");
      }
    };
    const bounded: HttpLibrary = {
      request(opts) {
        const req = lib.request(opts);
        const timer = setTimeout(() => req.destroy(new ProviderTimeoutError()), timeoutMs);
        req.once("close", () => clearTimeout(timer));
        req.once("response", (res: IncomingMessage) => res.once("error", (err) => once(err)));
        return req;
      },
    };
    execute(bounded, options, body, once);
  };
}

function isJson(data: string | undefined): boolean {
  if (typeof data !== "string") return false;
  try {
    JSON.parse(data);
    return true;
  } catch {
    return false;
  }
}

/** Provider answered with an error → provider_error; provider unreachable or 5xx → provider_unavailable. */
function classify(err: unknown): OAuthErrorCode {
  if (err instanceof ServiceUnavailableError) return "service_unavailable";
  const e = err as { name?: unknown; code?: unknown; oauthError?: { statusCode?: unknown; code?: unknown } } | null;
  const name = typeof e?.name === "string" ? e.name : "";
  if (name === "TokenError" || name === "AuthorizationError") {
    return e?.code === "temporarily_unavailable" || e?.code === "server_error" ? "provider_unavailable" : "provider_error";
  }
  if (name === "InternalOAuthError") {
    const status = e?.oauthError?.statusCode;
    return typeof status === "number" && status < 500 ? "provider_error" : "provider_unavailable";
  }
  if (err instanceof ProviderTimeoutError) return "provider_unavailable";
  return "provider_error";
}
