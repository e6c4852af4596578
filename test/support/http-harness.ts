import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import supertest from "supertest";
import { InMemoryMailer } from "../../src/adapters/mail/in-memory.mailer.js";
import { loadConfig, type Config } from "../../src/infrastructure/config.js";
import { buildContext, type AppContext, type BuildOptions } from "../../src/infrastructure/container.js";
import { ManualClock } from "./manual-clock.js";
import { requirePostgres, requireRedis, TEST_DATABASE_URL, TEST_REDIS_URL } from "./services.js";

export type Backend = "memory" | "real";

/** For a suite's `before` hook: the real backend needs PostgreSQL and Redis (skipped outside CI when absent). */
export async function requireBackend(ctx: Mocha.Context, backend: Backend): Promise<void> {
  if (backend === "memory") return;
  await requirePostgres(ctx);
  await requireRedis(ctx);
}

export const TEST_ORIGIN = "http://localhost:3000";

/**
 * Suites sign up and sign in dozens of times from 127.0.0.1, so the route budgets are lifted
 * unless a test passes its own RATE_LIMITS (the limiter still runs, against the test's Redis).
 */
export const RELAXED_RATE_LIMITS = JSON.stringify({ "*": { ipPerWindow: 1_000_000, accountPerWindow: 1_000_000 } });

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig(
    {
      RATE_LIMITS: RELAXED_RATE_LIMITS,
      NODE_ENV: "test",
      LOG_LEVEL: "silent",
      DATA_DIR: path.join(os.tmpdir(), `hybrid-auth-test-${randomUUID()}`),
      JWT_ACCESS_SECRET: "test-access-secret-0123456789abcdef0123456789",
      JWT_REFRESH_SECRET: "test-refresh-secret-0123456789abcdef012345678",
      CRYPTO_SECRET: "test-crypto-secret-0123456789abcdef0123456789",
      BCRYPT_COST: "4",
      CORS_ORIGIN: TEST_ORIGIN,
      DATABASE_URL: TEST_DATABASE_URL,
      REDIS_URL: TEST_REDIS_URL,
      ...env,
    },
    { persistSecrets: false },
  );
}

export interface TestApp {
  ctx: AppContext;
  http: () => supertest.Agent;
  request: supertest.SuperTest<supertest.Test>;
  mailer: InMemoryMailer;
  clock: ManualClock;
  close(): Promise<void>;
}

/**
 * The real container with either in-memory adapters or PostgreSQL + Redis, an in-memory mail
 * sink to read codes from, and a clock the test can move (starting at the real time, so Redis
 * TTLs computed from it stay sensible).
 */
export type TestAppOptions = BuildOptions & { env?: Record<string, string> };

export async function startTestApp(backend: Backend, options: TestAppOptions = {}): Promise<TestApp> {
  const mailer = new InMemoryMailer();
  const clock = new ManualClock(new Date());
  const ctx = await buildContext(testConfig(options.env), {
    database: backend === "memory" ? "memory" : "postgres",
    sessions: backend === "memory" ? "memory" : "redis",
    redisPrefix: `test:${randomUUID()}:`,
    logger: pino({ level: "silent" }),
    mailer,
    clock,
    ...options,
  });
  const callback = ctx.app.callback();
  return {
    ctx,
    http: () => supertest.agent(callback),
    request: supertest(callback) as unknown as supertest.SuperTest<supertest.Test>,
    mailer,
    clock,
    close: () => ctx.close(),
  };
}

/**
 * Call inside a describe block: starts one app for the block in its `before` hook (requiring the
 * real backend's services) and closes it in its `after` hook. The TestApp returned stands for
 * that app from the hook on. `options` as a function is read in the hook, after earlier hooks ran.
 */
export function useTestApp(backend: Backend, options: TestAppOptions | (() => TestAppOptions) = {}): TestApp {
  let app: TestApp | undefined;
  before(async function () {
    await requireBackend(this, backend);
    app = await startTestApp(backend, typeof options === "function" ? options() : options);
  });
  after(async () => app?.close());

  const started = (): TestApp => {
    if (!app) throw new Error("the test app is used outside the describe block that started it");
    return app;
  };
  return {
    get ctx() {
      return started().ctx;
    },
    get http() {
      return started().http;
    },
    get request() {
      return started().request;
    },
    get mailer() {
      return started().mailer;
    },
    get clock() {
      return started().clock;
    },
    close: () => started().close(),
  };
}

/** The error envelope every failed request answers with. */
export function expectError(res: { status: number; body: Record<string, unknown> }, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(status);
  expect(res.body).to.include({ success: false, statusCode: status, code });
  expect(res.body.message).to.be.a("string").and.not.empty;
}

/** Mails go out in the background; let them land before reading. */
export async function flushMail(): Promise<void> {
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
}

const consumed = new WeakMap<InMemoryMailer, Map<string, number>>();

/**
 * The code in the newest mail of `tag` to `email` that this helper has not returned before.
 * Mails go out in the background (some after a Redis round trip), so it waits up to 3 s.
 */
export async function codeFor(mailer: InMemoryMailer, email: string, tag = "verify-email"): Promise<string> {
  const seen = consumed.get(mailer) ?? new Map<string, number>();
  consumed.set(mailer, seen);
  const key = `${email}\u0000${tag}`;
  const deadline = Date.now() + 3000;
  for (;;) {
    await flushMail();
    const matching = mailer.sent.filter((m) => m.to === email && m.tag === tag);
    if (matching.length > (seen.get(key) ?? 0)) {
      seen.set(key, matching.length);
      const code = matching.at(-1)!.text.match(/\b(\d{6})\b/)?.[1];
      if (!code) throw new Error(`the ${tag} mail to ${email} holds no code`);
      return code;
    }
    if (Date.now() > deadline) throw new Error(`no new ${tag} code mailed to ${email}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function uniqueEmail(label = "user"): string {
  return `${label}-${randomUUID().slice(0, 8)}@example.test`;
}

/** Parses Set-Cookie headers into name → {value, attributes}. */
export function cookiesOf(res: { headers: Record<string, unknown> }): Record<string, { value: string; attrs: Record<string, string | true> }> {
  const raw = (res.headers["set-cookie"] as string[] | undefined) ?? [];
  const out: Record<string, { value: string; attrs: Record<string, string | true> }> = {};
  for (const line of raw) {
    const [pair, ...attrParts] = line.split(";");
    const eq = pair!.indexOf("=");
    const name = pair!.slice(0, eq).trim();
    const attrs: Record<string, string | true> = {};
    for (const part of attrParts) {
      const [k, ...rest] = part.trim().split("=");
      attrs[k!.toLowerCase()] = rest.length ? rest.join("=") : true;
    }
    out[name] = { value: pair!.slice(eq + 1), attrs };
  }
  return out;
}

export const PASSWORD = "correct horse battery";

/** Signs up, verifies with the mailed code; returns the email. */
export async function registerVerified(app: TestApp, email = uniqueEmail(), password = PASSWORD, name = "Test User"): Promise<string> {
  await app.request
    .post("/api/v1/auth/signup")
    .send({ name, email, password, confirmPassword: password })
    .expect(201);
  const otpCode = await codeFor(app.mailer, email);
  await app.request.post("/api/v1/auth/verify-user").send({ email, otpCode }).expect(200);
  return email;
}

export interface TokenSession {
  accessToken: string;
  refreshToken: string;
  userId: string;
}

/** Signs in in token mode (X-Auth-Mode: token) and returns the tokens. */
export async function signInTokens(app: TestApp, email: string, password = PASSWORD, userAgent = "mocha"): Promise<TokenSession> {
  const res = await app.request
    .post("/api/v1/auth/signin")
    .set("X-Auth-Mode", "token")
    .set("User-Agent", userAgent)
    .send({ email, password })
    .expect(200);
  return { accessToken: res.body.data.tokens.accessToken, refreshToken: res.body.data.tokens.refreshToken, userId: res.body.data.user.id };
}
