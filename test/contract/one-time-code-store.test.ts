import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { InMemoryOneTimeCodeStore } from "../../src/adapters/one-time-code/in-memory-one-time-code.store.js";
import { RedisOneTimeCodeStore } from "../../src/adapters/one-time-code/redis-one-time-code.store.js";
import { connectRedis, type RedisConnection } from "../../src/adapters/redis/redis-client.js";
import { ServiceUnavailableError } from "../../src/domain/errors.js";
import { ManualClock } from "../support/manual-clock.js";
import { requireRedis, TEST_REDIS_URL } from "../support/services.js";
import { oneTimeCodeStoreContract } from "./one-time-code-store.contract.js";

const silent = { warn() {}, error() {} };

async function deleteKeys(redis: RedisConnection, prefix: string): Promise<void> {
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    if (keys.length > 0) await redis.del(keys);
  }
}

describe("OneTimeCodeStore contract", () => {
  describe("InMemoryOneTimeCodeStore", () => {
    oneTimeCodeStoreContract(async () => {
      const clock = new ManualClock();
      return { adapter: new InMemoryOneTimeCodeStore(clock), clock, cleanup: async () => {} };
    });
  });

  describe("RedisOneTimeCodeStore", () => {
    const runPrefix = `test:otp:${randomUUID().slice(0, 8)}:`;
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

    oneTimeCodeStoreContract(async () => {
      const clock = new ManualClock();
      const prefix = `${runPrefix}${++n}:`;
      const client = redis!;
      return {
        adapter: new RedisOneTimeCodeStore(client, clock, { prefix }),
        clock,
        cleanup: () => deleteKeys(client, prefix),
      };
    });

    describe("Redis specifics", () => {
      it("gives every key it writes a TTL", async () => {
        const prefix = `${runPrefix}x${++n}:`;
        const clock = new ManualClock();
        const store = new RedisOneTimeCodeStore(redis!, clock, { prefix });
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
          const keys: string[] = [];
          for await (const batch of redis!.scanIterator({ MATCH: `${prefix}*` })) keys.push(...batch);
          expect(keys).to.have.length(3);
          for (const key of keys) expect(await redis!.pTTL(key), key).to.be.within(1, 3_600_000);
        } finally {
          await deleteKeys(redis!, prefix);
        }
      });

      it("fails fast with ServiceUnavailableError when Redis is unreachable", async () => {
        const down = await connectRedis("redis://127.0.0.1:1", { logger: silent });
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
