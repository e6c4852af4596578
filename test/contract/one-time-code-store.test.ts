import { expect } from "chai";
import { InMemoryOneTimeCodeStore } from "../../src/adapters/one-time-code/in-memory-one-time-code.store.js";
import { RedisOneTimeCodeStore } from "../../src/adapters/one-time-code/redis-one-time-code.store.js";
import { connectRedis } from "../../src/adapters/redis/redis-client.js";
import { ServiceUnavailableError } from "../../src/domain/errors.js";
import { ManualClock } from "../support/manual-clock.js";
import { silentRedisLogger, useRedis } from "../support/redis-fixture.js";
import { oneTimeCodeStoreContract } from "./one-time-code-store.contract.js";

describe("OneTimeCodeStore contract", () => {
  describe("InMemoryOneTimeCodeStore", () => {
    oneTimeCodeStoreContract(async () => {
      const clock = new ManualClock();
      return { adapter: new InMemoryOneTimeCodeStore(clock), clock, cleanup: async () => {} };
    });
  });

  describe("RedisOneTimeCodeStore", () => {
    const redis = useRedis("otp");

    oneTimeCodeStoreContract(async () => {
      const clock = new ManualClock();
      const { client, prefix, cleanup } = redis.scope();
      return { adapter: new RedisOneTimeCodeStore(client, clock, { prefix }), clock, cleanup };
    });

    describe("Redis specifics", () => {
      it("gives every key it writes a TTL", async () => {
        const { client, prefix, cleanup } = redis.scope();
        const clock = new ManualClock();
        const store = new RedisOneTimeCodeStore(client, clock, { prefix });
        try {
          const input = {
            purpose: "reset-password" as const,
            subject: "ada@example.com",
            now: clock.now(),
            ttlSeconds: 600,
            cooldownSeconds: 60,
            hourlyCap: 5,
          };
          await store.issue({ ...input, codeHash: "c-1" });
          await store.consume({ ...input, codeHash: "c-wrong", maxAttempts: 5 });
          const keys = await redis.keys(prefix);
          expect(keys).to.have.length(3);
          for (const key of keys) expect(await client.pTTL(key), key).to.be.within(1, 3_600_000);
        } finally {
          await cleanup();
        }
      });

      it("fails fast with ServiceUnavailableError when Redis is unreachable", async () => {
        const down = await connectRedis("redis://127.0.0.1:1", { logger: silentRedisLogger });
        try {
          const clock = new ManualClock();
          const store = new RedisOneTimeCodeStore(down, clock, { timeoutMs: 500 });
          const started = Date.now();
          const err = await store
            .consume({ purpose: "verify-email", subject: "a@b.c", codeHash: "x", now: clock.now(), maxAttempts: 5 })
            .catch((e: unknown) => e);
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
