import "reflect-metadata";
import { randomUUID } from "node:crypto";
import bcrypt from "bcrypt";
import { RedisAttemptCounter } from "../../src/adapters/attempt-counter/redis-attempt.counter.js";
import { openPostgres, runMigrations, type DatabaseHandle } from "../../src/adapters/persistence/drizzle/database.js";
import { DrizzleUserRepository } from "../../src/adapters/persistence/drizzle/drizzle-user.repository.js";
import { connectRedis, type RedisConnection } from "../../src/adapters/redis/redis-client.js";
import { HmacKeyedHasher } from "../../src/adapters/security/hmac-keyed.hasher.js";
import { JwtAccessTokenIssuer } from "../../src/adapters/security/jwt-access-token.issuer.js";
import { NodeSecureRandom } from "../../src/adapters/security/node-secure.random.js";
import { SystemClock } from "../../src/adapters/security/system.clock.js";
import { RedisSessionStore } from "../../src/adapters/session-store/redis-session.store.js";
import { SessionTokens } from "../../src/application/services/session-tokens.service.js";
import { normalizeEmail } from "../../src/domain/email.js";
import { emailAttemptKey } from "../../src/domain/lockout.policy.js";
import { REFRESH_ABSOLUTE_TTL_SECONDS, REFRESH_IDLE_TTL_SECONDS } from "../../src/domain/session.js";
import type { User } from "../../src/domain/user.entity.js";
import type { Config } from "../../src/infrastructure/config.js";

export const BENCH_PASSWORD = "bench-Password-0123456789";
const META = { ip: "127.0.0.1", userAgent: "hybrid-auth-bench" };
const BATCH = 500;

export interface Credentials {
  email: string;
  password: string;
  /** The client address the user signs in from (one per user, from 10.0.0.0/8). */
  ip: string;
}

/**
 * Test data made with the service's own adapters, so the rows and Redis entries are exactly
 * what sign-up and sign-in would have written: verified users (one bcrypt hash at the
 * configured cost, shared), sessions minted the way SessionTokens.start mints them. Everything
 * belongs to this run (emails carry the run id) and is removed by cleanup().
 */
export class Seeder {
  readonly users: User[] = [];
  readonly #blocked: string[] = [];

  private constructor(
    private readonly runId: string,
    private readonly database: DatabaseHandle,
    private readonly redis: RedisConnection,
    private readonly repo: DrizzleUserRepository,
    private readonly sessions: RedisSessionStore,
    private readonly tokens: SessionTokens,
    private readonly counter: RedisAttemptCounter,
  ) {}

  static async open(config: Config, runId: string): Promise<Seeder> {
    const database = await openPostgres(config.databaseUrl!);
    await runMigrations(database);
    const redis = await connectRedis(config.redisUrl!);
    if (!redis.isReady) throw new Error(`Redis is not reachable at ${config.redisUrl}`);
    const clock = new SystemClock();
    // Cleanup removes hundreds of thousands of sessions: no 2 s deadline on that.
    const sessions = new RedisSessionStore(redis, clock, { prefix: "ha:", timeoutMs: 120_000 });
    const tokens = new SessionTokens(
      sessions,
      new JwtAccessTokenIssuer({ secret: config.secrets.jwtAccess, issuer: config.jwt.issuer, audience: config.jwt.audience, ttlSeconds: config.accessTokenTtlSeconds }),
      new HmacKeyedHasher(config.secrets.jwtRefresh),
      new NodeSecureRandom(),
      {
        appName: config.appName,
        clientUrl: config.clientUrl,
        refreshReuseGraceSeconds: config.refreshReuseGraceSeconds,
        refreshIdleTtlSeconds: REFRESH_IDLE_TTL_SECONDS,
        refreshAbsoluteTtlSeconds: REFRESH_ABSOLUTE_TTL_SECONDS,
      },
    );
    return new Seeder(runId, database, redis, new DrizzleUserRepository(database.db), sessions, tokens, new RedisAttemptCounter(redis, { prefix: "ha:" }));
  }

  async createUsers(count: number, bcryptCost: number): Promise<void> {
    const passwordHash = await bcrypt.hash(BENCH_PASSWORD, bcryptCost);
    const now = new Date();
    for (let start = 0; start < count; start += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, count - start) }, (_, k) => {
        const email = `bench-${this.runId}-${start + k}@bench.example.com`;
        return this.repo.create({
          id: randomUUID(),
          name: `Bench User ${start + k}`,
          email,
          emailNormalized: normalizeEmail(email),
          passwordHash,
          role: "user",
          avatar: null,
          isEmailVerified: true,
          lastLoginAt: null,
          createdAt: now,
          deactivatedAt: null,
          purgeAfter: null,
        });
      });
      this.users.push(...(await Promise.all(batch)));
    }
  }

  credentials(): Credentials[] {
    return this.users.map((u, i) => ({ email: u.email, password: BENCH_PASSWORD, ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }));
  }

  /** `count` live sessions spread over the users; returns their token pairs. */
  async mintSessions(count: number): Promise<Array<{ accessToken: string; refreshToken: string }>> {
    const out: Array<{ accessToken: string; refreshToken: string }> = [];
    for (let start = 0; start < count; start += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, count - start) }, (_, k) =>
        this.tokens.start(this.users[(start + k) % this.users.length]!, META, new Date()),
      );
      for (const grant of await Promise.all(batch)) out.push({ accessToken: grant.tokens.accessToken, refreshToken: grant.tokens.refreshToken });
    }
    return out;
  }

  /** An address (no account) whose password sign-in is blocked, as after five failures. */
  async blockedEmail(): Promise<string> {
    const email = `blocked-${this.runId}@bench.example.com`;
    await this.counter.block(emailAttemptKey(normalizeEmail(email)), 3600, new Date());
    this.#blocked.push(email);
    return email;
  }

  async cleanup(): Promise<void> {
    for (let start = 0; start < this.users.length; start += 5) {
      await Promise.all(
        this.users.slice(start, start + 5).map(async (u) => {
          await this.sessions.revokeAllForUser(u.id);
          await this.repo.delete(u.id);
        }),
      );
    }
    for (const email of this.#blocked) await this.counter.reset(emailAttemptKey(normalizeEmail(email)));
  }

  async close(): Promise<void> {
    await this.redis.close().catch(() => this.redis.destroy());
    await this.database.close();
  }
}
