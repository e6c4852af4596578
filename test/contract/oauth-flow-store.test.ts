import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { InMemoryOAuthFlowStore } from "../../src/adapters/oauth/in-memory-oauth-flow.store.js";
import { RedisOAuthFlowStore } from "../../src/adapters/oauth/redis-oauth-flow.store.js";
import { connectRedis, type RedisConnection } from "../../src/adapters/redis/redis-client.js";
import { ServiceUnavailableError } from "../../src/domain/errors.js";
import { ManualClock } from "../support/manual-clock.js";
import { requireRedis, TEST_REDIS_URL } from "../support/services.js";
import { oauthFlowStoreContract } from "./oauth-flow-store.contract.js";

const silent = { warn() {}, error() {} };

async function deleteKeys(redis: RedisConnection, prefix: string): Promise<void> {
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    if (keys.length > 0) await redis.del(keys);
  }
}

describe("OAuthFlowStore contract", () => {
  describe("InMemoryOAuthFlowStore", () => {
    oauthFlowStoreContract(async () => {
      const clock = new ManualClock(new Date());
      return { adapter: new InMemoryOAuthFlowStore(clock), clock, cleanup: async () => {} };
    });
  });

  describe("RedisOAuthFlowStore", () => {
    const runPrefix = `test:oauthflow:${randomUUID().slice(0, 8)}:`;
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

    oauthFlowStoreContract(async () => {
      // Real time: Redis TTLs are real, the contract moves the clock only within them.
      const clock = new ManualClock(new Date());
      const prefix = `${runPrefix}${++n}:`;
      const client = redis!;
      return { adapter: new RedisOAuthFlowStore(client, { prefix }), clock, cleanup: () => deleteKeys(client, prefix) };
    });

    it("gives every key a TTL, so abandoned flows do not pile up", async () => {
      const prefix = `${runPrefix}ttl:`;
      await new RedisOAuthFlowStore(redis!, { prefix }).put("flow:x", "v", 600, new Date());
      const ttl = await redis!.pTTL(`${prefix}oauth:flow:x`);
      expect(ttl).to.be.within(590_000, 600_000);
    });

    it("answers ServiceUnavailableError quickly when Redis is unreachable", async () => {
      const down = await connectRedis("redis://127.0.0.1:1", { logger: silent, connectTimeoutMs: 200 });
      try {
        const store = new RedisOAuthFlowStore(down, { timeoutMs: 500 });
        const started = Date.now();
        for (const call of [() => store.put("k", "v", 60, new Date()), () => store.take("k", new Date())]) {
          const err = await call().then(
            () => expect.fail("expected a rejection"),
            (e: unknown) => e,
          );
          expect(err).to.be.instanceOf(ServiceUnavailableError);
        }
        expect(Date.now() - started).to.be.below(1_500);
      } finally {
        await down.close().catch(() => down.destroy());
      }
    });
  });
});
