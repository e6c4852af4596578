import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import * as v from "valibot";

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
const bool = v.optional(
  v.pipe(v.string(), v.trim(), v.toLowerCase(), v.picklist(["true", "false", "1", "0", "yes", "no", ""]), v.transform((s) => ["true", "1", "yes"].includes(s))),
  "false",
);

const EnvSchema = v.object({
  PORT: intInRange("PORT", 0, 65535, 9000),
  NODE_ENV: v.optional(v.picklist(["development", "test", "production"], "NODE_ENV must be development, test or production"), "development"),
  LOG_LEVEL: v.optional(v.picklist(["fatal", "error", "warn", "info", "debug", "trace", "silent"], "LOG_LEVEL must be a pino level"), "info"),
  CLIENT_URL: v.optional(v.pipe(v.string(), v.trim(), v.url("CLIENT_URL must be a URL")), "http://localhost:3000"),
  CORS_ORIGIN: optionalString,
  TRUST_PROXY: bool,
  DATABASE_URL: optionalString,
  REDIS_URL: optionalString,
  DATA_DIR: v.optional(v.pipe(v.string(), v.trim(), v.nonEmpty()), "./.data"),
  JWT_ACCESS_SECRET: optionalString,
  JWT_REFRESH_SECRET: optionalString,
  CRYPTO_SECRET: optionalString,
  JWT_ISSUER: v.optional(v.string(), "hybrid-auth"),
  JWT_AUDIENCE: v.optional(v.string(), "hybrid-auth-clients"),
  SMTP_URL: optionalString,
  EMAIL_FROM: v.optional(v.string(), "hybrid-auth <no-reply@localhost>"),
  BCRYPT_COST: intInRange("BCRYPT_COST", 4, 15, 12),
  REFRESH_REUSE_GRACE_SECONDS: intInRange("REFRESH_REUSE_GRACE_SECONDS", 0, 120, 10),
  COOKIE_SAMESITE: v.optional(v.picklist(["lax", "strict", "none"], "COOKIE_SAMESITE must be lax, strict or none"), "lax"),
  APP_NAME: v.optional(v.string(), "hybrid-auth"),
});

export type NodeEnv = "development" | "test" | "production";

export interface Config {
  port: number;
  nodeEnv: NodeEnv;
  logLevel: string;
  clientUrl: string;
  corsOrigins: string[];
  trustProxy: boolean;
  databaseUrl: string | null;
  redisUrl: string | null;
  dataDir: string;
  secrets: { jwtAccess: string; jwtRefresh: string; crypto: string };
  jwt: { issuer: string; audience: string };
  smtpUrl: string | null;
  emailFrom: string;
  bcryptCost: number;
  refreshReuseGraceSeconds: number;
  cookieSameSite: "lax" | "strict" | "none";
  cookieSecure: boolean;
  appName: string;
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
      if (!e[name]) throw new ConfigError(`${name} is required when NODE_ENV=production`);
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
    trustProxy: e.TRUST_PROXY,
    databaseUrl: e.DATABASE_URL ?? null,
    redisUrl: e.REDIS_URL ?? null,
    dataDir,
    secrets,
    jwt: { issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE },
    smtpUrl: e.SMTP_URL ?? null,
    emailFrom: e.EMAIL_FROM,
    bcryptCost: e.BCRYPT_COST,
    refreshReuseGraceSeconds: e.REFRESH_REUSE_GRACE_SECONDS,
    cookieSameSite: e.COOKIE_SAMESITE,
    cookieSecure: production || e.COOKIE_SAMESITE === "none",
    appName: e.APP_NAME,
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
    smtpUrl: maskUrl(config.smtpUrl),
    secrets: { jwtAccess: "***", jwtRefresh: "***", crypto: "***" },
  };
}
