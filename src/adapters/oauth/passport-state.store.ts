import type { Context } from "koa";
import type { Clock, KeyedHasher, SecureRandom } from "../../application/ports/security.port.js";
import type { OAuthProvider } from "../../domain/identity.entity.js";
import { OAUTH_PREFIX } from "../http/paths.js";
import type { OAuthFlowStore } from "./oauth-flow.store.js";

/** How the finished flow hands over the session: cookies for browsers, a one-time code for apps. */
export type DeliveryMode = "cookie" | "token";

export interface FlowInfo {
  mode: DeliveryMode;
  /**
   * A token-mode client's own PKCE challenge (RFC 7636, S256): the one-time code the callback hands
   * over is then good only with the matching verifier, so an app whose redirect was intercepted
   * (another app registered for its URL scheme) does not hand its session to the interceptor.
   */
  clientChallenge?: string;
}

/** What passport reports when a callback's state does not check out. */
export const STATE_INVALID = "oauth_state_invalid";

export const FLOW_TTL_SECONDS = 10 * 60;

export interface PassportStateStoreDeps {
  flows: OAuthFlowStore;
  hasher: KeyedHasher;
  random: SecureRandom;
  clock: Clock;
  cookieSecure: boolean;
  /** BASE_PATH: the flow cookie must reach `${basePath}/api/auth/...` behind a stripped prefix. */
  cookiePathPrefix?: string;
}

interface StoredFlow {
  provider: OAuthProvider;
  stateHash: string;
  verifier: string | null;
  mode: DeliveryMode;
  clientChallenge?: string;
}

/** The part of koa-passport's request mock we use. */
interface PassportRequest {
  ctx: Context;
}

export function flowCookieName(provider: OAuthProvider): string {
  return `oauth_flow_${provider}`;
}

/**
 * passport-oauth2's state store, bound to the browser and shared by all instances.
 *
 * Start: a random flow id goes into an httpOnly cookie (SameSite=Lax, so it rides along on the
 * provider's top-level redirect back, path /api/auth, 10 minutes); the flow (keyed hash of a
 * separate random `state`, the PKCE verifier, the delivery mode) goes into the OAuthFlowStore
 * under a keyed hash of the id. The id never appears in a URL, the state never in a cookie.
 *
 * Callback: the flow is taken (read and deleted in one step), whatever happens next, so a
 * state is good for one callback only; a missing cookie, an unknown or expired flow, another
 * provider's flow or a state that does not match all fail the same way.
 */
export class PassportStateStore {
  constructor(
    private readonly provider: OAuthProvider,
    private readonly deps: PassportStateStoreDeps,
  ) {}

  // passport-oauth2 chooses how to call a store by its arity: store() must take five
  // parameters (with the PKCE verifier), verify() four.
  store(req: PassportRequest, verifier: string | undefined, state: unknown, _meta: unknown, cb: (err: Error | null, state?: string) => void): void {
    this.start(req.ctx, verifier ?? null, infoOf(state)).then(
      (value) => cb(null, value),
      (err: Error) => cb(err),
    );
  }

  verify(req: PassportRequest, providedState: unknown, _meta: unknown, cb: (err: Error | null, ok?: string | boolean, info?: unknown) => void): void {
    this.check(req.ctx, typeof providedState === "string" ? providedState : null).then(
      (flow) => {
        if (!flow) return cb(null, false, { reason: STATE_INVALID });
        // A string tells passport-oauth2 to send it as the PKCE code_verifier.
        const info: FlowInfo = { mode: flow.mode };
        if (flow.clientChallenge) info.clientChallenge = flow.clientChallenge;
        cb(null, flow.verifier ?? true, info);
      },
      (err: Error) => cb(err),
    );
  }

  /** Drops the browser's flow without using it (the provider reported an error). */
  async discard(ctx: Context): Promise<void> {
    const flowId = ctx.cookies.get(flowCookieName(this.provider));
    this.clearCookie(ctx);
    if (flowId) await this.deps.flows.take(this.key(flowId), this.deps.clock.now());
  }

  private async start(ctx: Context, verifier: string | null, info: FlowInfo): Promise<string> {
    const flowId = this.deps.random.token(32);
    const state = this.deps.random.token(32);
    const flow: StoredFlow = { provider: this.provider, stateHash: this.stateHash(state), verifier, mode: info.mode };
    if (info.clientChallenge) flow.clientChallenge = info.clientChallenge;
    await this.deps.flows.put(this.key(flowId), JSON.stringify(flow), FLOW_TTL_SECONDS, this.deps.clock.now());
    this.cookies(ctx).set(flowCookieName(this.provider), flowId, {
      ...this.cookieOptions(),
      maxAge: FLOW_TTL_SECONDS * 1000,
    });
    return state;
  }

  private async check(ctx: Context, providedState: string | null): Promise<StoredFlow | null> {
    const flowId = ctx.cookies.get(flowCookieName(this.provider));
    this.clearCookie(ctx);
    if (!flowId) return null;
    const raw = await this.deps.flows.take(this.key(flowId), this.deps.clock.now());
    if (!raw || !providedState) return null;
    const flow = JSON.parse(raw) as StoredFlow;
    if (flow.provider !== this.provider) return null;
    return this.deps.hasher.equals(this.stateHash(providedState), flow.stateHash) ? flow : null;
  }

  private clearCookie(ctx: Context): void {
    this.cookies(ctx).set(flowCookieName(this.provider), "", { ...this.cookieOptions(), expires: new Date(0) });
  }

  private cookies(ctx: Context): Context["cookies"] {
    // Behind a TLS-terminating proxy without TRUST_PROXY, Koa would refuse Secure cookies.
    if (this.deps.cookieSecure) (ctx.cookies as unknown as { secure: boolean }).secure = true;
    return ctx.cookies;
  }

  private cookieOptions() {
    // Lax whatever COOKIE_SAMESITE says: the callback is a cross-site top-level navigation.
    return { httpOnly: true, secure: this.deps.cookieSecure, sameSite: "lax", path: `${this.deps.cookiePathPrefix ?? ""}${OAUTH_PREFIX}`, overwrite: true } as const;
  }

  private key(flowId: string): string {
    return `flow:${this.deps.hasher.hash("oauth-flow", flowId)}`;
  }

  private stateHash(state: string): string {
    return this.deps.hasher.hash(`oauth-state:${this.provider}`, state);
  }
}

function infoOf(state: unknown): FlowInfo {
  const given = state as Partial<FlowInfo> | undefined;
  const info: FlowInfo = { mode: given?.mode === "token" ? "token" : "cookie" };
  if (info.mode === "token" && typeof given?.clientChallenge === "string") info.clientChallenge = given.clientChallenge;
  return info;
}
