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

      describe("remembering blocks (another instance is a second counter on the same keys)", () => {
        const KEY = "email:ada@example.com";
        const pair = (rememberBlocksMs?: number) => {
          const { client, prefix, cleanup } = redis.scope();
          const here = new RedisAttemptCounter(client, { prefix, rememberBlocksMs });
          const there = new RedisAttemptCounter(client, { prefix });
          return { here, there, cleanup };
        };

        it("answers a block it read from memory for rememberBlocksMs (default 1 s), then asks Redis again", async () => {
          const { here, there, cleanup } = pair();
          const clock = new ManualClock();
          try {
            expect(here.knownBlockedFor(KEY, clock.now())).to.equal(null);
            await there.block(KEY, 900, clock.now());
            expect(await here.blockedFor(KEY, clock.now())).to.equal(900);
            expect(here.knownBlockedFor(KEY, clock.now())).to.equal(900);
            // Another instance lifts it (a password reset): this one still refuses, for under a second.
            await there.reset(KEY);
            clock.advance(999);
            expect(await here.blockedFor(KEY, clock.now())).to.equal(900);
            expect(here.knownBlockedFor(KEY, clock.now())).to.equal(900);
            clock.advance(1);
            expect(here.knownBlockedFor(KEY, clock.now())).to.equal(null);
            expect(await here.blockedFor(KEY, clock.now())).to.equal(0);
          } finally {
            await cleanup();
          }
        });

        it("sees its own reset and a longer block at once, and never remembers that a key is not blocked", async () => {
          const { here, there, cleanup } = pair();
          const clock = new ManualClock();
          try {
            await there.block(KEY, 60, clock.now());
            expect(await here.blockedFor(KEY, clock.now())).to.equal(60);
            await here.block(KEY, 600, clock.now());
            expect(await here.blockedFor(KEY, clock.now())).to.equal(600);
            await here.reset(KEY);
            expect(here.knownBlockedFor(KEY, clock.now())).to.equal(null);
            expect(await here.blockedFor(KEY, clock.now())).to.equal(0);
            await there.block(KEY, 30, clock.now());
            expect(await here.blockedFor(KEY, clock.now())).to.equal(30);
          } finally {
            await cleanup();
          }
        });

        it("remembers a block its own reserve started or ran into, never past the block's end", async () => {
          const { here, cleanup } = pair();
          const clock = new ManualClock();
          const policy = { ...EMAIL_LOCKOUT_POLICY, threshold: 1, baseBlockSeconds: 10 };
          try {
            await here.reserve(KEY, policy, clock.now());
            await here.settleFailure(KEY);
            expect(await here.reserve(KEY, policy, clock.now())).to.include({ allowed: false, newlyBlocked: true, retryAfterSeconds: 10 });
            expect(here.knownBlockedFor(KEY, clock.now())).to.equal(10);
            clock.advance(9_500);
            expect(await here.blockedFor(KEY, clock.now())).to.equal(1);
            expect(here.knownBlockedFor(KEY, clock.now())).to.equal(1);
            clock.advance(500);
            expect(here.knownBlockedFor(KEY, clock.now())).to.equal(null);
          } finally {
            await cleanup();
          }
        });

        it("with rememberBlocksMs 0 knows nothing and always asks Redis", async () => {
          const { here, there, cleanup } = pair(0);
          const clock = new ManualClock();
          try {
            await there.block(KEY, 900, clock.now());
            expect(await here.blockedFor(KEY, clock.now())).to.equal(900);
            expect(here.knownBlockedFor(KEY, clock.now())).to.equal(null);
            await there.reset(KEY);
            expect(await here.blockedFor(KEY, clock.now())).to.equal(0);
          } finally {
            await cleanup();
          }
        });
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
