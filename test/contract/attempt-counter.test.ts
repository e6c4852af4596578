import { expect } from "chai";
import { InMemoryAttemptCounter } from "../../src/adapters/attempt-counter/in-memory-attempt.counter.js";
import { RedisAttemptCounter } from "../../src/adapters/attempt-counter/redis-attempt.counter.js";
import { connectRedis } from "../../src/adapters/redis/redis-client.js";
import { ServiceUnavailableError } from "../../src/domain/errors.js";
import { EMAIL_LOCKOUT_POLICY } from "../../src/domain/lockout.policy.js";
import { ManualClock } from "../support/manual-clock.js";
import { silentRedisLogger, useRedis } from "../support/redis-fixture.js";
import { attemptCounterContract } from "./attempt-counter.contract.js";

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
        await counter.settleFailure("email:blocked@example.com");
        await counter.reserve("email:blocked@example.com", policy, clock.now()); // blocked for 15 min
        clock.advance(policy.windowSeconds * 1000);
        for (let i = 0; i < 3_000; i++) await counter.reserve(`ip:10.1.${i >> 8}.${i & 255}`, policy, clock.now());
        expect(counter.size).to.be.below(3_500);
        // a key still remembered for escalation survives the sweep
        clock.advance(policy.baseBlockSeconds * 1000);
        await counter.reserve("email:blocked@example.com", policy, clock.now());
        await counter.settleFailure("email:blocked@example.com");
        const second = await counter.reserve("email:blocked@example.com", policy, clock.now());
        expect(second).to.deep.equal({ allowed: false, retryAfterSeconds: 1800, newlyBlocked: true });
      });
    });
  });

  describe("RedisAttemptCounter", () => {
    const redis = useRedis("att");

    attemptCounterContract(async () => {
      const { client, prefix, cleanup } = redis.scope();
      return { adapter: new RedisAttemptCounter(client, { prefix }), clock: new ManualClock(), cleanup };
    });

    describe("Redis specifics", () => {
      it("gives every key it writes a TTL at least as long as its logical lifetime", async () => {
        const { client, prefix, cleanup } = redis.scope();
        const clock = new ManualClock();
        const counter = new RedisAttemptCounter(client, { prefix });
        const policy = EMAIL_LOCKOUT_POLICY;
        const key = "email:ada@example.com";
        try {
          for (let i = 0; i < 5; i++) {
            await counter.reserve(key, policy, clock.now());
            await counter.settleFailure(key);
          }
          await counter.reserve(key, policy, clock.now()); // blocked for 900 s
          clock.advance(900_000);
          await counter.reserve(key, policy, clock.now()); // one failure in a fresh window
          await counter.block("ip:10.0.0.1", 60, clock.now());
          const base = `${prefix}{att:${key}}`;
          const keys = await redis.keys(prefix);
          expect(keys.sort()).to.deep.equal([`${base}:b`, `${base}:f`, `${base}:n`, `${prefix}{att:ip:10.0.0.1}:b`].sort());
          for (const k of keys) expect(await client.pTTL(k), k).to.be.above(0);
          // logical lifetimes measured from the current (advanced) clock
          expect(await client.pTTL(`${base}:f`)).to.be.above(policy.windowSeconds * 1000 - 5_000);
          expect(await client.pTTL(`${base}:n`)).to.be.above(policy.escalationMemorySeconds * 1000 - 5_000);
        } finally {
          await cleanup();
        }
      });

      it("fails fast with ServiceUnavailableError when Redis is unreachable", async () => {
        const down = await connectRedis("redis://127.0.0.1:1", { logger: silentRedisLogger });
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
