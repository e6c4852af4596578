import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import fs from "node:fs";
import path from "node:path";
import * as v from "valibot";
import { isRateLimitedRoute, type RateLimitOverrides } from "../adapters/http/rate-limits.js";
import { ACCESS_TOKEN_TTL_SECONDS } from "../domain/session.js";

/** Raised for a configuration that must stop start-up; its message is the one line printed. */
export class ConfigError extends Error {}

const SECRET_NAMES = ["JWT_ACCESS_SECRET", "JWT_REFRESH_SECRET", "CRYPTO_SECRET"] as const;
const MIN_SECRET_LENGTH = 32;

const optionalString = v.optional(v.pipe(v.string(), v.trim()));
const intInRange = (name: string, min: number, max: number, fallback: number) =>
  v.optional(
    v.pipe(
      v.string(),
      v.trim(),
      v.regex(/^\d+$/, `${name} must be a whole number`),
      v.transform(Number),
      v.minValue(min, `${name} must be at least ${min}`),
      v.maxValue(max, `${name} must be at most ${max}`),
    ),
    String(fallback),
  );

const EnvSchema = v.object({
  PORT: intInRange("PORT", 0, 65535, 9000),
  NODE_ENV: v.optional(v.picklist(["development", "test", "production"], "NODE_ENV must be development, test or production"), "development"),
  LOG_LEVEL: v.optional(v.picklist(["fatal", "error", "warn", "info", "debug", "trace", "silent"], "LOG_LEVEL must be a pino level"), "info"),
  CLIENT_URL: v.optional(v.pipe(v.string(), v.trim(), v.url("CLIENT_URL must be a URL")), "http://localhost:3000"),
  CORS_ORIGIN: optionalString,
  TRUST_PROXY: v.optional(
    v.pipe(
      v.string(),
      v.trim(),
      v.toLowerCase(),
      v.regex(/^(true|false|yes|no|\d{1,2}|)$/, "TRUST_PROXY must be true, false or the number of proxies in front (0-10)"),
      v.transform((s) => (["true", "yes"].includes(s) ? 1 : s === "false" || s === "no" || s === "" ? 0 : Number(s))),
      v.maxValue(10, "TRUST_PROXY must be true, false or the number of proxies in front (0-10)"),
    ),
    "false",
  ),
  DATABASE_URL: optionalString,
  REDIS_URL: optionalString,
  REDIS_CLUSTER_NODES: optionalString,
  DATA_DIR: v.optional(v.pipe(v.string(), v.trim(), v.nonEmpty()), "./.data"),
  JWT_ACCESS_SECRET: optionalString,
  JWT_REFRESH_SECRET: optionalString,
  CRYPTO_SECRET: optionalString,
  JWT_ISSUER: v.optional(v.string(), "hybrid-auth"),
  JWT_AUDIENCE: v.optional(v.string(), "hybrid-auth-clients"),
  SMTP_URL: optionalString,
  EMAIL_FROM: v.optional(v.string(), "hybrid-auth <no-reply@localhost>"),
  BCRYPT_COST: intInRange("BCRYPT_COST", 4, 15, 12),
  ACCESS_TOKEN_TTL_SECONDS: intInRange("ACCESS_TOKEN_TTL_SECONDS", 5, 24 * 3600, ACCESS_TOKEN_TTL_SECONDS),
  HASH_CONCURRENCY: v.optional(v.pipe(v.string(), v.trim(), v.regex(/^\d+$/, "HASH_CONCURRENCY must be a whole number"), v.transform(Number), v.minValue(1, "HASH_CONCURRENCY must be at least 1"), v.maxValue(64, "HASH_CONCURRENCY must be at most 64"))),
  HASH_MAX_QUEUE: intInRange("HASH_MAX_QUEUE", 0, 100000, 256),
  HASH_NICE: intInRange("HASH_NICE", 0, 19, 19),
  USER_CACHE_SIZE: intInRange("USER_CACHE_SIZE", 0, 10_000_000, 10_000),
  USER_CACHE_MAX_AGE_SECONDS: intInRange("USER_CACHE_MAX_AGE_SECONDS", 1, 3600, 30),
  LOCKOUT_CACHE_MS: intInRange("LOCKOUT_CACHE_MS", 0, 60_000, 1000),
  REFRESH_REUSE_GRACE_SECONDS: intInRange("REFRESH_REUSE_GRACE_SECONDS", 0, 120, 10),
  COOKIE_SAMESITE: v.optional(v.picklist(["lax", "strict", "none"], "COOKIE_SAMESITE must be lax, strict or none"), "lax"),
  APP_NAME: v.optional(v.string(), "hybrid-auth"),
  PUBLIC_URL: v.optional(v.pipe(v.string(), v.trim(), v.url("PUBLIC_URL must be a URL"))),
  BASE_PATH: v.optional(v.pipe(v.string(), v.trim(), v.transform((s) => s.replace(/\/+$/, "")), v.regex(/^(\/[A-Za-z0-9._~-]+)*$/, "BASE_PATH must be a path like /auth (letters, digits, . _ ~ -)")), ""),
  ACCOUNT_RETENTION_DAYS: intInRange("ACCOUNT_RETENTION_DAYS", 0, 3650, 30),
  PURGE_INTERVAL_SECONDS: intInRange("PURGE_INTERVAL_SECONDS", 0, 7 * 24 * 3600, 3600),
  RATE_LIMITS: optionalString,
  CLOUDINARY_URL: optionalString,
  CLOUDINARY_CLOUD_NAME: optionalString,
  CLOUDINARY_API_KEY: optionalString,
  CLOUDINARY_API_SECRET: optionalString,
  GITHUB_CLIENT_ID: optionalString,
  GITHUB_CLIENT_SECRET: optionalString,
  GITHUB_REDIRECT_URI: optionalString,
  GITHUB_AUTHORIZATION_URL: optionalString,
  GITHUB_TOKEN_URL: optionalString,
  GITHUB_USER_PROFILE_URL: optionalString,
  GITHUB_USER_EMAILS_URL: optionalString,
  GOOGLE_CLIENT_ID: optionalString,
  GOOGLE_CLIENT_SECRET: optionalString,
  GOOGLE_REDIRECT_URI: optionalString,
  GOOGLE_AUTHORIZATION_URL: optionalString,
  GOOGLE_TOKEN_URL: optionalString,
  GOOGLE_USER_PROFILE_URL: optionalString,
  FACEBOOK_APP_ID: optionalString,
  FACEBOOK_APP_SECRET: optionalString,
  FACEBOOK_REDIRECT_URI: optionalString,
  FACEBOOK_AUTHORIZATION_URL: optionalString,
  FACEBOOK_TOKEN_URL: optionalString,
  FACEBOOK_PROFILE_URL: optionalString,
  OAUTH_REQUIRE_PKCE: v.optional(
    v.pipe(v.string(), v.trim(), v.toLowerCase(), v.picklist(["true", "false", "yes", "no", ""], "OAUTH_REQUIRE_PKCE must be true or false"), v.transform((s) => s === "true" || s === "yes")),
    "false",
  ),
});

export interface OAuthProviderConfig {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** Endpoint overrides (GitHub Enterprise, a local fake provider); null = the provider's own. */
  authorizationUrl: string | null;
  tokenUrl: string | null;
  profileUrl: string | null;
  /** GitHub only. */
  emailsUrl: string | null;
}

export type CloudinaryConfig = { url: string } | { cloudName: string; apiKey: string; apiSecret: string };

export type NodeEnv = "development" | "test" | "production";

export interface Config {
  port: number;
  nodeEnv: NodeEnv;
  logLevel: string;
  clientUrl: string;
  corsOrigins: string[];
  /**
   * Proxies in front of the service whose X-Forwarded-* entries are believed (TRUST_PROXY: true = 1,
   * false = 0, or a number, e.g. 2 for a CDN in front of a load balancer); 0 = none.
   */
  trustProxyHops: number;
  databaseUrl: string | null;
  redisUrl: string | null;
  /** REDIS_CLUSTER_NODES: seed nodes of a Redis Cluster as redis:// URLs; null = not a cluster. */
  redisClusterNodes: string[] | null;
  dataDir: string;
  secrets: { jwtAccess: string; jwtRefresh: string; crypto: string };
  jwt: { issuer: string; audience: string };
  smtpUrl: string | null;
  emailFrom: string;
  bcryptCost: number;
  /** Access-token (and accessToken cookie) lifetime; the contract default is 15 minutes. */
  accessTokenTtlSeconds: number;
  /** Password hashes running at once (default: the number of cores) and allowed to wait. */
  hashConcurrency: number;
  hashMaxQueue: number;
  /** Nice value of the password-hashing threads (Linux); 0 = the event loop's priority. */
  hashNice: number;
  /** Users cached per process for authenticated reads; 0 turns the cache off. */
  userCacheSize: number;
  userCacheMaxAgeSeconds: number;
  /**
   * How long an instance answers a lockout it read from Redis from its memory; the longest an
   * unlock (password reset) on one instance takes to reach the others. 0 = always ask Redis.
   */
  lockoutCacheMs: number;
  refreshReuseGraceSeconds: number;
  cookieSameSite: "lax" | "strict" | "none";
  cookieSecure: boolean;
  appName: string;
  /** Where this API is reached from outside (links to locally stored avatars). */
  publicUrl: string;
  /**
   * Path prefix clients reach the routes under when a reverse proxy or a parent Koa app strips it
   * (BASE_PATH, e.g. "/auth"); cookie paths are scoped under it. "" = served at the root.
   */
  basePath: string;
  accountRetentionDays: number;
  /** 0 disables the in-process purge schedule. */
  purgeIntervalSeconds: number;
  /** RATE_LIMITS: replacements of the default route budgets (src/adapters/http/rate-limits.ts). */
  rateLimits: RateLimitOverrides;
  /** null: avatars on local disk under DATA_DIR/avatars. */
  cloudinary: CloudinaryConfig | null;
  /** A provider is present only when its id, secret and redirect URI are all set. */
  oauth: { github: OAuthProviderConfig | null; google: OAuthProviderConfig | null; facebook: OAuthProviderConfig | null };
  /** OAUTH_REQUIRE_PKCE: a token-mode OAuth sign-in must bring the app's own PKCE challenge. */
  oauthRequirePkce: boolean;
}

function originOf(url: string): string {
  return new URL(url).origin;
}

/**
 * Reads and validates the environment. In development and test, missing secrets are generated
 * once and kept in DATA_DIR so tokens survive a restart; in production a missing or short
 * secret, or a missing DATABASE_URL/REDIS_URL, stops start-up with one line naming it.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: { persistSecrets?: boolean } = {}): Config {
  const raw = Object.fromEntries(Object.keys(EnvSchema.entries).filter((k) => env[k] !== undefined && env[k] !== "").map((k) => [k, env[k]]));
  const parsed = v.safeParse(EnvSchema, raw);
  if (!parsed.success) {
    const issue = parsed.issues[0]!;
    const key = v.getDotPath(issue) ?? "environment";
    throw new ConfigError(`Invalid configuration: ${key}: ${issue.message}`);
  }
  const e = parsed.output;
  const production = e.NODE_ENV === "production";
  if (production) {
    for (const name of ["DATABASE_URL", "REDIS_URL"] as const)
      if (!e[name] && !(name === "REDIS_URL" && e.REDIS_CLUSTER_NODES)) throw new ConfigError(`${name} is required when NODE_ENV=production`);
  }
  for (const name of SECRET_NAMES) {
    const value = e[name];
    if (value && value.length < MIN_SECRET_LENGTH) throw new ConfigError(`${name} must be at least ${MIN_SECRET_LENGTH} characters`);
    if (!value && production) throw new ConfigError(`${name} is required when NODE_ENV=production`);
  }
  const dataDir = path.resolve(e.DATA_DIR);
  const secrets = resolveSecrets(e, dataDir, options.persistSecrets ?? true);
  for (const [name, url] of [["DATABASE_URL", e.DATABASE_URL], ["REDIS_URL", e.REDIS_URL], ["SMTP_URL", e.SMTP_URL]] as const) {
    if (url && !URL.canParse(url)) throw new ConfigError(`${name} is not a valid URL`);
  }
  const corsOrigins = (e.CORS_ORIGIN ? e.CORS_ORIGIN.split(",") : [e.CLIENT_URL])
    .map((s) => s.trim())
    .filter(Boolean)
    .map((o) => {
      if (!URL.canParse(o)) throw new ConfigError(`CORS_ORIGIN contains an invalid origin: ${o}`);
      return originOf(o);
    });
  if (e.COOKIE_SAMESITE === "none" && !production)
    console.warn("COOKIE_SAMESITE=none requires Secure cookies; browsers reject them over plain HTTP");
  return {
    port: e.PORT,
    nodeEnv: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    clientUrl: e.CLIENT_URL.replace(/\/+$/, ""),
    corsOrigins,
    trustProxyHops: e.TRUST_PROXY,
    databaseUrl: e.DATABASE_URL ?? null,
    redisUrl: e.REDIS_URL ?? null,
    redisClusterNodes: clusterNodes(e.REDIS_URL, e.REDIS_CLUSTER_NODES),
    dataDir,
    secrets,
    jwt: { issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE },
    smtpUrl: e.SMTP_URL ?? null,
    emailFrom: e.EMAIL_FROM,
    bcryptCost: e.BCRYPT_COST,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    hashConcurrency: e.HASH_CONCURRENCY ?? availableParallelism(),
    hashMaxQueue: e.HASH_MAX_QUEUE,
    hashNice: e.HASH_NICE,
    userCacheSize: e.USER_CACHE_SIZE,
    userCacheMaxAgeSeconds: e.USER_CACHE_MAX_AGE_SECONDS,
    lockoutCacheMs: e.LOCKOUT_CACHE_MS,
    refreshReuseGraceSeconds: e.REFRESH_REUSE_GRACE_SECONDS,
    cookieSameSite: e.COOKIE_SAMESITE,
    cookieSecure: production || e.COOKIE_SAMESITE === "none",
    appName: e.APP_NAME,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
    basePath: e.BASE_PATH,
    accountRetentionDays: e.ACCOUNT_RETENTION_DAYS,
    purgeIntervalSeconds: e.PURGE_INTERVAL_SECONDS,
    rateLimits: parseRateLimits(e.RATE_LIMITS),
    cloudinary: cloudinaryConfig(e),
    oauthRequirePkce: e.OAUTH_REQUIRE_PKCE,
    oauth: {
      github: provider("GITHUB", e.GITHUB_CLIENT_ID, e.GITHUB_CLIENT_SECRET, e.GITHUB_REDIRECT_URI, {
        authorizationUrl: e.GITHUB_AUTHORIZATION_URL,
        tokenUrl: e.GITHUB_TOKEN_URL,
        profileUrl: e.GITHUB_USER_PROFILE_URL,
        emailsUrl: e.GITHUB_USER_EMAILS_URL,
      }),
      google: provider("GOOGLE", e.GOOGLE_CLIENT_ID, e.GOOGLE_CLIENT_SECRET, e.GOOGLE_REDIRECT_URI, {
        authorizationUrl: e.GOOGLE_AUTHORIZATION_URL,
        tokenUrl: e.GOOGLE_TOKEN_URL,
        profileUrl: e.GOOGLE_USER_PROFILE_URL,
      }),
      facebook: provider("FACEBOOK", e.FACEBOOK_APP_ID, e.FACEBOOK_APP_SECRET, e.FACEBOOK_REDIRECT_URI, {
        authorizationUrl: e.FACEBOOK_AUTHORIZATION_URL,
        tokenUrl: e.FACEBOOK_TOKEN_URL,
        profileUrl: e.FACEBOOK_PROFILE_URL,
      }),
    },
  };
}

const budgetCount = (field: string) =>
  v.optional(v.pipe(v.number(`${field} must be a number`), v.integer(`${field} must be a whole number`), v.minValue(0, `${field} must be at least 0`)));
const RateLimitsSchema = v.record(
  v.string(),
  v.strictObject(
    {
      ipPerWindow: budgetCount("ipPerWindow"),
      accountPerWindow: budgetCount("accountPerWindow"),
      windowSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1, "windowSeconds must be at least 1"), v.maxValue(7 * 24 * 3600, "windowSeconds must be at most a week"))),
    },
    "only ipPerWindow, accountPerWindow and windowSeconds may be set",
  ),
);

/**
 * RATE_LIMITS is JSON: route name (or "*" for every route) → any of ipPerWindow,
 * accountPerWindow (0 turns that budget off) and windowSeconds, e.g.
 * {"signin":{"ipPerWindow":100,"windowSeconds":60},"*":{"accountPerWindow":20}}.
 */
function parseRateLimits(raw: string | undefined): RateLimitOverrides {
  if (!raw) return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ConfigError("RATE_LIMITS must be a JSON object (route name → {ipPerWindow, accountPerWindow, windowSeconds})");
  }
  const parsed = v.safeParse(RateLimitsSchema, json);
  if (!parsed.success) {
    const issue = parsed.issues[0]!;
    throw new ConfigError(`Invalid configuration: RATE_LIMITS.${v.getDotPath(issue) ?? ""}: ${issue.message}`);
  }
  const unknown = Object.keys(parsed.output).filter((name) => name !== "*" && !isRateLimitedRoute(name));
  if (unknown.length) throw new ConfigError(`RATE_LIMITS names unknown route(s): ${unknown.join(", ")}`);
  return parsed.output;
}

/**
 * REDIS_CLUSTER_NODES=host:port,host:port (or full redis:// / rediss:// URLs; the first one's
 * credentials and TLS apply to every node) switches the stores to node-redis' cluster client.
 * It replaces REDIS_URL rather than silently overriding one left behind.
 */
function clusterNodes(redisUrl: string | undefined, raw: string | undefined): string[] | null {
  if (!raw) return null;
  if (redisUrl) throw new ConfigError("Set REDIS_URL or REDIS_CLUSTER_NODES, not both");
  const nodes = raw.split(",").map((s) => s.trim()).filter(Boolean).map((entry) => {
    const url = /^rediss?:\/\//.test(entry) ? entry : `redis://${entry}`;
    if (!URL.canParse(url) || !new URL(url).port) throw new ConfigError(`REDIS_CLUSTER_NODES entry is not host:port or a redis:// URL: ${entry}`);
    return url;
  });
  if (nodes.length === 0) throw new ConfigError("REDIS_CLUSTER_NODES names no node");
  return nodes;
}

function cloudinaryConfig(e: v.InferOutput<typeof EnvSchema>): CloudinaryConfig | null {
  if (e.CLOUDINARY_URL) {
    if (!/^cloudinary:\/\//.test(e.CLOUDINARY_URL)) throw new ConfigError("CLOUDINARY_URL must start with cloudinary://");
    return { url: e.CLOUDINARY_URL };
  }
  const parts = [e.CLOUDINARY_CLOUD_NAME, e.CLOUDINARY_API_KEY, e.CLOUDINARY_API_SECRET];
  if (parts.every((p) => !p)) return null;
  if (parts.some((p) => !p))
    throw new ConfigError("CLOUDINARY_CLOUD_NAME, CLOUDINARY_API_KEY and CLOUDINARY_API_SECRET must be set together");
  return { cloudName: e.CLOUDINARY_CLOUD_NAME!, apiKey: e.CLOUDINARY_API_KEY!, apiSecret: e.CLOUDINARY_API_SECRET! };
}

function provider(
  name: string,
  clientId: string | undefined,
  clientSecret: string | undefined,
  redirectUri: string | undefined,
  endpoints: { authorizationUrl?: string; tokenUrl?: string; profileUrl?: string; emailsUrl?: string },
): OAuthProviderConfig | null {
  if (!clientId || !clientSecret || !redirectUri) return null;
  for (const [key, url] of Object.entries({ redirectUri, ...endpoints }))
    if (url && !URL.canParse(url)) throw new ConfigError(`${name} OAuth ${key} is not a valid URL`);
  return {
    clientId,
    clientSecret,
    redirectUri,
    authorizationUrl: endpoints.authorizationUrl ?? null,
    tokenUrl: endpoints.tokenUrl ?? null,
    profileUrl: endpoints.profileUrl ?? null,
    emailsUrl: endpoints.emailsUrl ?? null,
  };
}

function resolveSecrets(e: v.InferOutput<typeof EnvSchema>, dataDir: string, persist: boolean): Config["secrets"] {
  const file = path.join(dataDir, "secrets.json");
  let stored: Partial<Record<(typeof SECRET_NAMES)[number], string>> = {};
  const missing = SECRET_NAMES.filter((n) => !e[n]);
  if (missing.length > 0 && persist && fs.existsSync(file)) stored = JSON.parse(fs.readFileSync(file, "utf8"));
  let changed = false;
  const pick = (name: (typeof SECRET_NAMES)[number]): string => {
    const value = e[name] ?? stored[name];
    if (value) return value;
    changed = true;
    return (stored[name] = randomBytes(48).toString("base64url"));
  };
  const secrets = { jwtAccess: pick("JWT_ACCESS_SECRET"), jwtRefresh: pick("JWT_REFRESH_SECRET"), crypto: pick("CRYPTO_SECRET") };
  if (changed && persist) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
  return secrets;
}

/** The effective configuration with secrets and credentials masked, for logs and the CLI. */
export function describeConfig(config: Config): Record<string, unknown> {
  const maskUrl = (url: string | null) => {
    if (!url) return null;
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  };
  return {
    ...config,
    databaseUrl: maskUrl(config.databaseUrl),
    redisUrl: maskUrl(config.redisUrl),
    redisClusterNodes: config.redisClusterNodes?.map(maskUrl) ?? null,
    smtpUrl: maskUrl(config.smtpUrl),
    secrets: { jwtAccess: "***", jwtRefresh: "***", crypto: "***" },
    cloudinary: config.cloudinary ? "configured (credentials masked)" : null,
    oauth: Object.fromEntries(
      Object.entries(config.oauth).map(([k, p]) => [k, p ? { clientId: p.clientId, clientSecret: "***", redirectUri: p.redirectUri } : null]),
    ),
  };
}
