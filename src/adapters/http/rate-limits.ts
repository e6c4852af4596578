import { createHash } from "node:crypto";
import type { Context, Middleware, Next } from "koa";
import ratelimit from "koa-ratelimit";
import { normalizeEmail } from "../../domain/email.js";
import { RateLimitedError } from "../../domain/errors.js";
import type { AuthState } from "./middleware/auth.middleware.js";
import { AUTH_PREFIX, OAUTH_PREFIX } from "./paths.js";
import type { HttpMethod, RouteGuards, RouteSpec } from "./route-spec.js";

export interface RouteBudget {
  /** Requests per window from one client IP (an IPv6 /64 counts as one client); 0 = no IP budget. */
  ipPerWindow: number;
  /**
   * Requests per window naming one account: the normalised email in the body, or the signed-in
   * user on routes that require a session; 0 = no account budget.
   */
  accountPerWindow: number;
  windowSeconds: number;
}

interface BudgetRow extends RouteBudget {
  /** Method (any when absent) and path pattern of the RouteSpecs this row limits. */
  method?: HttpMethod;
  path: RegExp;
}

const exactly = (path: string) => new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`);
const OAUTH = OAUTH_PREFIX.replace(/\//g, "\\/");

/**
 * Default budgets, one row per rate-limited route; the first row whose method and path match a
 * RouteSpec applies, so routes added later by other modules are picked up by pattern. Sized for
 * real traffic behind shared NATs (an office signs in from one IP) while keeping guessing and
 * mail-sending expensive; the lockout (5 failed passwords / 15 min per email) and the one-time
 * code rules (5 guesses per code, resend cooldown) sit underneath these budgets.
 * Overridable per row with RATE_LIMITS (see parseRateLimitOverrides).
 */
export const RATE_LIMIT_DEFAULTS = {
  signup:                   { path: exactly(`${AUTH_PREFIX}/signup`),                 ipPerWindow: 30,  accountPerWindow: 5,  windowSeconds: 600 },
  signin:                   { path: exactly(`${AUTH_PREFIX}/signin`),                 ipPerWindow: 60,  accountPerWindow: 10, windowSeconds: 300 },
  "verify-user":            { path: exactly(`${AUTH_PREFIX}/verify-user`),            ipPerWindow: 30,  accountPerWindow: 10, windowSeconds: 300 },
  "resend-verification":    { path: exactly(`${AUTH_PREFIX}/resend-verification`),    ipPerWindow: 20,  accountPerWindow: 5,  windowSeconds: 600 },
  "forgot-password":        { path: exactly(`${AUTH_PREFIX}/forgot-password`),        ipPerWindow: 20,  accountPerWindow: 5,  windowSeconds: 600 },
  "verify-reset-otp":       { path: exactly(`${AUTH_PREFIX}/verify-reset-otp`),       ipPerWindow: 30,  accountPerWindow: 10, windowSeconds: 300 },
  "reset-password":         { path: exactly(`${AUTH_PREFIX}/reset-password`),         ipPerWindow: 20,  accountPerWindow: 5,  windowSeconds: 600 },
  "change-password":        { path: exactly(`${AUTH_PREFIX}/change-password`),        ipPerWindow: 30,  accountPerWindow: 10, windowSeconds: 600 },
  "account-request-delete": { path: exactly(`${AUTH_PREFIX}/account/request-delete`), ipPerWindow: 20,  accountPerWindow: 5,  windowSeconds: 3600 },
  "account-delete":         { path: exactly(`${AUTH_PREFIX}/account/delete`),         ipPerWindow: 20,  accountPerWindow: 10, windowSeconds: 3600 },
  // A refresh token names a session, not an account; reuse detection guards it. Many tabs and
  // devices behind one NAT refresh every 15 minutes.
  "refresh-token":          { path: exactly(`${AUTH_PREFIX}/refresh-token`),          ipPerWindow: 150, accountPerWindow: 0,  windowSeconds: 300 },
  // Avatar uploads cost storage and image processing.
  "profile-update":         { method: "patch", path: exactly(`${AUTH_PREFIX}/profile`), ipPerWindow: 60, accountPerWindow: 30, windowSeconds: 600 },
  "oauth-callback":         { path: new RegExp(`^${OAUTH}/[^/]+/callback$`),          ipPerWindow: 60,  accountPerWindow: 0,  windowSeconds: 300 },
  "oauth-start":            { method: "get", path: new RegExp(`^${OAUTH}/[^/]+$`),     ipPerWindow: 60,  accountPerWindow: 0,  windowSeconds: 300 },
  // The token exchange for non-browser clients, and anything else mounted under the OAuth prefix.
  "oauth-token":            { path: new RegExp(`^${OAUTH}/`),                         ipPerWindow: 60,  accountPerWindow: 0,  windowSeconds: 300 },
} as const satisfies Record<string, BudgetRow>;

export type RateLimitedRoute = keyof typeof RATE_LIMIT_DEFAULTS;
export const RATE_LIMITED_ROUTES = Object.keys(RATE_LIMIT_DEFAULTS) as RateLimitedRoute[];

/** Per-row (or "*" for every row) replacements of the defaults, from configuration. */
export type RateLimitOverrides = Record<string, Partial<RouteBudget>>;

export function isRateLimitedRoute(name: string): name is RateLimitedRoute {
  return Object.hasOwn(RATE_LIMIT_DEFAULTS, name);
}

export type ResolvedBudgets = Record<RateLimitedRoute, RouteBudget & { method?: HttpMethod; path: RegExp }>;

/** Defaults, then "*", then the named rows. Unknown names were refused when the config was read. */
export function resolveBudgets(overrides: RateLimitOverrides = {}): ResolvedBudgets {
  const unknown = Object.keys(overrides).filter((name) => name !== "*" && !isRateLimitedRoute(name));
  if (unknown.length) throw new Error(`unknown rate-limited route(s): ${unknown.join(", ")}`);
  const out = {} as ResolvedBudgets;
  for (const name of RATE_LIMITED_ROUTES) out[name] = { ...RATE_LIMIT_DEFAULTS[name], ...overrides["*"], ...overrides[name] };
  return out;
}

export interface AppliedBudget extends RouteBudget {
  name: RateLimitedRoute;
  /** What the account budget is keyed by on this route. */
  account: "user" | "email" | null;
}

export function budgetFor(spec: Pick<RouteSpec, "method" | "path" | "auth">, budgets: ResolvedBudgets): AppliedBudget | null {
  for (const name of RATE_LIMITED_ROUTES) {
    const row = budgets[name];
    if (row.method && row.method !== spec.method) continue;
    if (!row.path.test(spec.path)) continue;
    const account = row.accountPerWindow > 0 ? (spec.auth === "access" ? "user" : "email") : null;
    return { name, ipPerWindow: row.ipPerWindow, accountPerWindow: row.accountPerWindow, windowSeconds: row.windowSeconds, account };
  }
  return null;
}

/** Clients rotate through an IPv6 /64 at will; it counts as one. IPv4-mapped addresses count as IPv4. */
export function clientKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!ip.includes(":")) return ip || "unknown";
  const [head = "", tail = ""] = ip.split("%")[0]!.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = ip.includes("::") ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

/** Emails reach Redis keys and memory only hashed: bounded length, no address in a key dump. */
function accountKey(email: string): string {
  return createHash("sha256").update(normalizeEmail(email)).digest("base64url").slice(0, 27);
}

/**
 * koa-ratelimit's memory driver keeps one entry per key until the key is asked for again; this
 * Map drops expired entries at most once a minute so random emails cannot grow it without end.
 */
class ExpiringMap extends Map<string, { reset: number }> {
  #lastSweep = Date.now();

  override set(key: string, value: { reset: number }): this {
    const now = Date.now();
    if (now - this.#lastSweep > 60_000) {
      this.#lastSweep = now;
      for (const [k, entry] of this) if (entry.reset * 1000 < now) this.delete(k);
    }
    return super.set(key, value);
  }
}

export type RateLimitStore = { driver: "redis"; db: object } | { driver: "memory" };

export interface RateLimiterOptions {
  budgets: ResolvedBudgets;
  store: RateLimitStore;
  /** Prefix of every counter key (the app's Redis prefix), so instances sharing it share budgets. */
  namespace: string;
}

interface Reading {
  limit: number;
  remaining: number;
  /** Epoch seconds at which a slot frees up. */
  reset: number;
  windowSeconds: number;
}

const READINGS = Symbol("rateLimitReadings");
const H_LIMIT = "RateLimit-Limit";
const H_REMAINING = "RateLimit-Remaining";
const H_RESET = "RateLimit-Reset";

function readingsOf(ctx: Context): Reading[] {
  const state = ctx.state as { [READINGS]?: Reading[] };
  return (state[READINGS] ??= []);
}

/** The drivers' clocks (hrtime-based) may run a hair ahead of Date.now(): never beyond the window. */
function secondsUntilReset(reading: Reading, min: number): number {
  return Math.min(reading.windowSeconds, Math.max(min, Math.ceil(reading.reset - Date.now() / 1000)));
}

/**
 * RateLimit-* after the draft-ietf-httpapi-ratelimit-headers names: the budget closest to running
 * out wins (Reset in seconds from now, not koa-ratelimit's epoch), and RateLimit-Policy lists
 * every budget that applied.
 */
function publish(ctx: Context): Reading {
  const readings = readingsOf(ctx);
  const tightest = readings.reduce((a, b) => (b.remaining < a.remaining || (b.remaining === a.remaining && b.reset > a.reset) ? b : a));
  ctx.set(H_LIMIT, String(tightest.limit));
  ctx.set(H_REMAINING, String(tightest.remaining));
  ctx.set(H_RESET, String(secondsUntilReset(tightest, 0)));
  ctx.set("RateLimit-Policy", readings.map((r) => `${r.limit};w=${r.windowSeconds}`).join(", "));
  return tightest;
}

/**
 * One koa-ratelimit middleware per budget. Its own headers are read back and republished; an
 * exhausted budget becomes RateLimitedError, so the 429 carries the standard envelope and
 * Retry-After. A store that does not answer (Redis down) fails the request with 503 within the
 * bridge's deadline: every route limited here needs Redis anyway, and failing open would hand
 * an attacker unlimited guesses exactly while the service is degraded.
 */
function limiter(options: RateLimiterOptions, memory: ExpiringMap, name: string, dimension: string, max: number, windowSeconds: number, id: (ctx: Context) => string | false): Middleware {
  const rl = ratelimit({
    driver: options.store.driver,
    db: (options.store.driver === "redis" ? options.store.db : memory) as never,
    duration: windowSeconds * 1000,
    max,
    namespace: `${options.namespace}rl:${name}:${dimension}`,
    id,
    headers: { total: H_LIMIT, remaining: H_REMAINING, reset: H_RESET },
  });
  return async function rateLimit(ctx: Context, next: Next): Promise<void> {
    // Nothing to count by (no email in the body): the other budgets still apply.
    if (id(ctx) === false) return next();
    let passed = false;
    const capture = () => {
      readingsOf(ctx).push({
        limit: Number(ctx.response.get(H_LIMIT)),
        remaining: Number(ctx.response.get(H_REMAINING)),
        reset: Number(ctx.response.get(H_RESET)),
        windowSeconds,
      });
      return publish(ctx);
    };
    await rl(ctx, async () => {
      passed = true;
      capture();
      await next();
    });
    if (passed) return;
    const tightest = capture();
    ctx.body = null;
    throw new RateLimitedError(secondsUntilReset(tightest, 1));
  };
}

export interface RateLimiter {
  /** Before the body is read: the IP budget, and the account budget of signed-in routes. */
  guards: RouteGuards;
  /** After the body is parsed: the account budget of routes whose body names an email. */
  bodyGuards: RouteGuards;
  /** The budget a route gets, for the API reference. */
  budgetOf(spec: RouteSpec): AppliedBudget | null;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const memory = new ExpiringMap();
  const budgetOf = (spec: RouteSpec) => budgetFor(spec, options.budgets);
  const ip = (ctx: Context) => clientKey(ctx.ip);
  const user = (ctx: Context) => (ctx.state.auth as AuthState | undefined)?.userId ?? false;
  const email = (ctx: Context) => {
    const value = (ctx.request as { body?: unknown }).body;
    const raw = value && typeof value === "object" ? (value as { email?: unknown }).email : undefined;
    return typeof raw === "string" && raw.trim() !== "" ? accountKey(raw) : false;
  };
  return {
    budgetOf,
    guards(spec) {
      const b = budgetOf(spec);
      if (!b) return [];
      const chain: Middleware[] = [];
      if (b.ipPerWindow > 0) chain.push(limiter(options, memory, b.name, "ip", b.ipPerWindow, b.windowSeconds, ip));
      if (b.account === "user") chain.push(limiter(options, memory, b.name, "user", b.accountPerWindow, b.windowSeconds, user));
      return chain;
    },
    bodyGuards(spec) {
      const b = budgetOf(spec);
      if (!b || b.account !== "email") return [];
      return [limiter(options, memory, b.name, "email", b.accountPerWindow, b.windowSeconds, email)];
    },
  };
}

/** The app's RateLimiter, for the API reference (budgets per route). */
export const RATE_LIMITER = Symbol("RateLimiter");
