/**
 * The real composition root (buildContext) on PostgreSQL + Redis, listening on a real port so
 * that keep-alive clients, raw sockets and timings see what a deployed server sees.
 */
import "reflect-metadata";
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import bcrypt from "bcrypt";
import pino from "pino";
import { InMemoryMailer } from "../../../src/adapters/mail/in-memory.mailer.js";
import { SessionTokens } from "../../../src/application/services/session-tokens.service.js";
import type { Clock } from "../../../src/application/ports/security.port.js";
import type { User } from "../../../src/domain/user.entity.js";
import { buildContext, type AppContext, type BuildOptions } from "../../../src/infrastructure/container.js";
import { testConfig } from "../../support/http-harness.js";
import { ManualClock } from "../../support/manual-clock.js";
import { bearer, HttpClient } from "./http.js";

/**
 * Generous route budgets: the properties under test here are lockout, code attempts and the
 * rest; a rate limiter answering 429 first would hide them. The rate-limit property itself
 * runs with its own budgets (scale-out test).
 */
export const GENEROUS_RATE_LIMITS = JSON.stringify({ "*": { ipPerWindow: 1_000_000, accountPerWindow: 1_000_000 } });

/** What every app and server in this suite runs with, on top of test/support/http-harness testConfig. */
export const BASE_ENV: Record<string, string> = {
  RATE_LIMITS: GENEROUS_RATE_LIMITS,
  // Tests speak for many clients through X-Forwarded-For.
  TRUST_PROXY: "true",
};

export const PASSWORD = "correct horse battery staple";
export const AUTH = "/api/v1/auth";
export const HEALTH = "/api/v1/health";

export interface RunningApp {
  ctx: AppContext;
  client: HttpClient;
  port: number;
  mailer: InMemoryMailer;
  /** A ManualClock when asked for one, else the system clock. */
  clock: Clock;
  manualClock: ManualClock | null;
  redisPrefix: string;
  close(): Promise<void>;
}

export interface StartAppOptions {
  env?: Record<string, string>;
  build?: BuildOptions;
  /** Freeze time at the real now and let the test move it. */
  manualClock?: boolean;
}

export async function startApp(options: StartAppOptions = {}): Promise<RunningApp> {
  const mailer = new InMemoryMailer();
  const manualClock = options.manualClock ? new ManualClock(new Date()) : null;
  const redisPrefix = `rel:${randomUUID().slice(0, 8)}:`;
  const ctx = await buildContext(testConfig({ ...BASE_ENV, ...options.env }), {
    database: "postgres",
    sessions: "redis",
    redisPrefix,
    logger: pino({ level: "silent" }),
    mailer,
    ...(manualClock ? { clock: manualClock } : {}),
    ...options.build,
  });
  const server = http.createServer(ctx.app.callback());
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const client = new HttpClient(`http://127.0.0.1:${port}`);
  return {
    ctx,
    client,
    port,
    mailer,
    clock: ctx.clock,
    manualClock,
    redisPrefix,
    async close() {
      client.reset();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await deleteKeys(ctx, redisPrefix).catch(() => {});
      await ctx.close();
    },
  };
}

async function deleteKeys(ctx: AppContext, prefix: string): Promise<void> {
  const redis = ctx.redis;
  if (!redis || !("scanIterator" in redis)) return;
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    if (keys.length > 0) await redis.del(keys);
  }
}

// Random start: spawned servers keep their per-IP counters in the shared Redis between runs.
let ipCounter = Math.floor(Math.random() * 2 ** 23);
/** A fresh client address per call (TRUST_PROXY is on), so per-IP counters stay out of the way. */
export function nextIp(): string {
  ipCounter = (ipCounter + 1) % 2 ** 24;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

export function fromIp(ip = nextIp()): Record<string, string> {
  return { "x-forwarded-for": ip };
}

export function uniqueEmail(label = "rel"): string {
  return `${label}-${randomUUID().slice(0, 12)}@example.test`;
}

const hashCache = new Map<string, Promise<string>>();
/** One real bcrypt hash per (password, cost), shared by seeded users. */
export function bcryptHash(password: string, cost: number): Promise<string> {
  const key = `${cost}:${password}`;
  let hash = hashCache.get(key);
  if (!hash) hashCache.set(key, (hash = bcrypt.hash(password, cost)));
  return hash;
}

/** Writes users straight into the repository (no mail, no HTTP): fixtures, not the subject. */
export async function seedUsers(
  ctx: AppContext,
  count: number,
  options: { verified?: boolean; password?: string; label?: string } = {},
): Promise<User[]> {
  const passwordHash = await bcryptHash(options.password ?? PASSWORD, ctx.config.bcryptCost);
  const now = new Date();
  const users: User[] = [];
  for (let i = 0; i < count; i++) {
    const email = uniqueEmail(options.label ?? "seed");
    users.push(
      await ctx.users.create({
        id: randomUUID(),
        name: "Seeded User",
        email,
        emailNormalized: email.toLowerCase(),
        passwordHash,
        role: "user",
        avatar: null,
        isEmailVerified: options.verified ?? true,
        lastLoginAt: null,
        createdAt: now,
        updatedAt: now,
        deactivatedAt: null,
        purgeAfter: null,
      }),
    );
  }
  return users;
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  userId: string;
  sessionId: string;
}

/** Signs in over HTTP in token mode from a fresh IP. */
export async function signIn(client: HttpClient, email: string, password = PASSWORD): Promise<Tokens> {
  const res = await client.post(`${AUTH}/signin`, { email, password }, { headers: { "x-auth-mode": "token", ...fromIp() } });
  if (res.status !== 200) throw new Error(`sign-in of ${email} answered ${res.status}: ${res.text}`);
  const t = res.body.data.tokens;
  return { accessToken: t.accessToken, refreshToken: t.refreshToken, userId: res.body.data.user.id, sessionId: t.refreshToken.split(".")[0] };
}

/** A session minted by the service's own token mechanics (no password check, no lockout). */
export async function mintSession(app: RunningApp, user: User): Promise<Tokens> {
  const grant = await app.ctx.container.resolve(SessionTokens).start(user, { ip: "10.255.0.1", userAgent: "reliability" }, app.clock.now());
  return { accessToken: grant.tokens.accessToken, refreshToken: grant.tokens.refreshToken, userId: user.id, sessionId: grant.session.id };
}

export async function profileStatus(client: HttpClient, accessToken: string): Promise<number> {
  return (await client.get(`${AUTH}/profile`, { headers: bearer(accessToken) })).status;
}
