import { expect } from "chai";
import { InMemoryOAuthFlowStore } from "../../src/adapters/oauth/in-memory-oauth-flow.store.js";
import { RedisOAuthFlowStore } from "../../src/adapters/oauth/redis-oauth-flow.store.js";
import { connectRedis } from "../../src/adapters/redis/redis-client.js";
import { ServiceUnavailableError } from "../../src/domain/errors.js";
import { ManualClock } from "../support/manual-clock.js";
import { silentRedisLogger, useRedis } from "../support/redis-fixture.js";
import { oauthFlowStoreContract } from "./oauth-flow-store.contract.js";

describe("OAuthFlowStore contract", () => {
  describe("InMemoryOAuthFlowStore", () => {
    oauthFlowStoreContract(async () => {
      const clock = new ManualClock(new Date());
      return { adapter: new InMemoryOAuthFlowStore(clock), clock, cleanup: async () => {} };
    });
  });

  describe("RedisOAuthFlowStore", () => {
    const redis = useRedis("oauthflow");

    oauthFlowStoreContract(async () => {
      // Real time: Redis TTLs are real, the contract moves the clock only within them.
      const clock = new ManualClock(new Date());
      const { client, prefix, cleanup } = redis.scope();
      return { adapter: new RedisOAuthFlowStore(client, { prefix }), clock, cleanup };
    });

    it("gives every key a TTL, so abandoned flows do not pile up", async () => {
      const { client, prefix } = redis.scope();
      await new RedisOAuthFlowStore(client, { prefix }).put("flow:x", "v", 600, new Date());
      const ttl = await client.pTTL(`${prefix}oauth:flow:x`);
      expect(ttl).to.be.within(590_000, 600_000);
    });

    it("answers ServiceUnavailableError quickly when Redis is unreachable", async () => {
      const down = await connectRedis("redis://127.0.0.1:1", { logger: silentRedisLogger, connectTimeoutMs: 200 });
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
