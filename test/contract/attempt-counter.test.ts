import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { InMemoryAttemptCounter } from "../../src/adapters/attempt-counter/in-memory-attempt.counter.js";
import { RedisAttemptCounter } from "../../src/adapters/attempt-counter/redis-attempt.counter.js";
import { connectRedis, type RedisConnection } from "../../src/adapters/redis/redis-client.js";
import { ServiceUnavailableError } from "../../src/domain/errors.js";
import { EMAIL_LOCKOUT_POLICY } from "../../src/domain/lockout.policy.js";
import { ManualClock } from "../support/manual-clock.js";
import { requireRedis, TEST_REDIS_URL } from "../support/services.js";
import { attemptCounterContract } from "./attempt-counter.contract.js";

const silent = { warn() {}, error() {} };

async function deleteKeys(redis: RedisConnection, prefix: string): Promise<void> {
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    if (keys.length > 0) await redis.del(keys);
  }
}

describe("AttemptCounter contract", () => {
  describe("InMemoryAttemptCounter", () => {
    attemptCounterContract(async () => ({ adapter: new InMemoryAttemptCounter(), clock: new ManualClock(), cleanup: async () => {} }));

    describe("in-memory specifics", () => {
      it("drops keys whose window, block and escalation memory have all passed", async () => {
        const counter = new InMemoryAttemptCounter();
        const clock = new ManualClock();
        const policy = { ...EMAIL_LOCKOUT_POLICY, threshold: 1 };
        for (let i = 0; i < 3_000; i++) await counter.reserve(`ip:10.0.${i >> 8}.${i & 255}`, policy, clock.now());
        await counter.reserve("email:blocked@example.com", policy, clock.now());
        await counter.reserve("email:blocked@example.com", policy, clock.now()); // blocked for 15 min
        clock.advance(policy.windowSeconds * 1000);
        for (let i = 0; i < 3_000; i++) await counter.reserve(`ip:10.1.${i >> 8}.${i & 255}`, policy, clock.now());
        expect(counter.size).to.be.below(3_500);
        // a key still remembered for escalation survives the sweep
        clock.advance(policy.baseBlockSeconds * 1000);
        await counter.reserve("email:blocked@example.com", policy, clock.now());
        const second = await counter.reserve("email:blocked@example.com", policy, clock.now());
        expect(second).to.deep.equal({ allowed: false, retryAfterSeconds: 1800, newlyBlocked: true });
      });
    });
  });

  describe("RedisAttemptCounter", () => {
    const runPrefix = `test:att:${randomUUID().slice(0, 8)}:`;
    let redis: RedisConnection | undefined;
    let n = 0;

    before(async function () {
      await requireRedis(this);
      redis = await connectRedis(TEST_REDIS_URL, { logger: silent });
    });

    after(async () => {
      if (!redis) return;
      await deleteKeys(redis, runPrefix);
      await redis.quit();
    });

    attemptCounterContract(async () => {
      const prefix = `${runPrefix}${++n}:`;
      const client = redis!;
      return { adapter: new RedisAttemptCounter(client, { prefix }), clock: new ManualClock(), cleanup: () => deleteKeys(client, prefix) };
    });

    describe("Redis specifics", () => {
      it("gives every key it writes a TTL at least as long as its logical lifetime", async () => {
        const prefix = `${runPrefix}x${++n}:`;
        const clock = new ManualClock();
        const counter = new RedisAttemptCounter(redis!, { prefix });
        const policy = EMAIL_LOCKOUT_POLICY;
        const key = "email:ada@example.com";
        try {
          for (let i = 0; i < 6; i++) await counter.reserve(key, policy, clock.now()); // blocked for 900 s
          clock.advance(900_000);
          await counter.reserve(key, policy, clock.now()); // one failure in a fresh window
          await counter.block("ip:10.0.0.1", 60, clock.now());
          const base = `${prefix}{att:${key}}`;
          const keys: string[] = [];
          for await (const batch of redis!.scanIterator({ MATCH: `${prefix}*` })) keys.push(...batch);
          expect(keys.sort()).to.deep.equal([`${base}:b`, `${base}:f`, `${base}:n`, `${prefix}{att:ip:10.0.0.1}:b`].sort());
          for (const k of keys) expect(await redis!.pTTL(k), k).to.be.above(0);
          // logical lifetimes measured from the current (advanced) clock
          expect(await redis!.pTTL(`${base}:f`)).to.be.above(policy.windowSeconds * 1000 - 5_000);
          expect(await redis!.pTTL(`${base}:n`)).to.be.above(policy.escalationMemorySeconds * 1000 - 5_000);
        } finally {
          await deleteKeys(redis!, prefix);
        }
      });

      it("fails fast with ServiceUnavailableError when Redis is unreachable", async () => {
        const down = await connectRedis("redis://127.0.0.1:1", { logger: silent });
        try {
          const counter = new RedisAttemptCounter(down, { timeoutMs: 500 });
          const started = Date.now();
          const err = await counter.reserve("email:a@b.c", EMAIL_LOCKOUT_POLICY, new Date()).catch((e: unknown) => e);
          expect(err).to.be.instanceOf(ServiceUnavailableError);
          expect((err as ServiceUnavailableError).dependency).to.equal("sessionStore");
          expect(Date.now() - started).to.be.below(1_000);
        } finally {
          down.destroy();
        }
      });
    });
  });
});
