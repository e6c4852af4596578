import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { PasswordAttempts } from "../../src/application/services/password-attempts.service.js";
import { connectRedis } from "../../src/adapters/redis/redis-client.js";
import { silentRedisLogger } from "../support/redis-fixture.js";
import { TEST_REDIS_URL } from "../support/services.js";
import { PASSWORD, registerVerified, requireBackend, startTestApp, uniqueEmail, type TestApp } from "../support/http-harness.js";
import { expectRateLimited, rateLimitSuite } from "./edge.rate-limits.suite.js";

describe("Rate limits in Redis", () => {
  rateLimitSuite("real");

  describe("two instances against one Redis", () => {
    let a: TestApp;
    let b: TestApp;
    before(async function () {
      await requireBackend(this, "real");
      // Same key prefix = same deployment; each instance has its own client and memory.
      const redisPrefix = `test:${randomUUID()}:`;
      const env = { RATE_LIMITS: JSON.stringify({ "forgot-password": { ipPerWindow: 5, accountPerWindow: 3, windowSeconds: 60 } }) };
      a = await startTestApp("real", { env, redisPrefix });
      b = await startTestApp("real", { env, redisPrefix });
    });
    after(async () => {
      await a?.close();
      await b?.close();
    });

    it("share one budget: the sum of both is limited, in parallel too", async () => {
      const send = (app: TestApp) => app.request.post("/api/v1/auth/forgot-password").send({ email: uniqueEmail() });
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => send(i % 2 ? a : b)));
      const ok = results.filter((r) => r.status === 200);
      const limited = results.filter((r) => r.status === 429);
      expect(ok.length + limited.length).to.equal(12);
      expect(ok.length).to.equal(5);
      for (const res of limited) expectRateLimited(res);
      expectRateLimited(await send(a));
      expectRateLimited(await send(b));
    });
  });

  describe("a blocked address hammered on one instance", () => {
    const apps: TestApp[] = [];
    const redisPrefix = `test:${randomUUID()}:`;
    const start = async (lockoutCacheMs: number) => {
      const env = { LOCKOUT_CACHE_MS: String(lockoutCacheMs), RATE_LIMITS: JSON.stringify({ signin: { ipPerWindow: 1000, accountPerWindow: 1000, windowSeconds: 60 } }) };
      const app = await startTestApp("real", { env, redisPrefix });
      apps.push(app);
      return app;
    };
    before(async function () {
      await requireBackend(this, "real");
    });
    after(async () => {
      await Promise.all(apps.map((app) => app.close()));
    });

    /** Whether the request is answered while Redis holds every write (the IP budget's script is one). */
    async function answeredWhileWritesPaused(app: TestApp, email: string): Promise<{ status: number; code: string } | "waiting"> {
      // Its own connection: Redis holds a paused client's later commands too, UNPAUSE included.
      const redis = await connectRedis(TEST_REDIS_URL, { logger: silentRedisLogger });
      await redis.sendCommand(["CLIENT", "PAUSE", "5000", "WRITE"]);
      const pending = app.request.post("/api/v1/auth/signin").send({ email, password: PASSWORD }).then((res) => ({ status: res.status, code: res.body.code as string }));
      let first: Awaited<typeof pending> | "waiting";
      try {
        first = await Promise.race([pending, new Promise<"waiting">((resolve) => setTimeout(() => resolve("waiting"), 400))]);
      } finally {
        await redis.sendCommand(["CLIENT", "UNPAUSE"]);
        await redis.quit();
      }
      if (first === "waiting") expect(await pending).to.deep.equal({ status: 429, code: "TOO_MANY_ATTEMPTS" });
      return first;
    }

    it("is refused from the instance's memory once it has read the block, without waiting for Redis; an unlock elsewhere reaches it within LOCKOUT_CACHE_MS", async () => {
      const remembering = await start(400);
      const forgetful = await start(0);
      const email = uniqueEmail("hammered");
      await registerVerified(remembering, email);
      await remembering.ctx.container.resolve(PasswordAttempts).lock(email.toLowerCase(), 900);
      for (const app of [remembering, forgetful]) {
        const res = await app.request.post("/api/v1/auth/signin").send({ email, password: PASSWORD });
        expect(res.status).to.equal(429);
        expect(res.body.code).to.equal("TOO_MANY_ATTEMPTS");
      }
      // The instance that remembers answers at once; the other waits for the IP budget's script.
      expect(await answeredWhileWritesPaused(remembering, email)).to.deep.equal({ status: 429, code: "TOO_MANY_ATTEMPTS" });
      expect(await answeredWhileWritesPaused(forgetful, email)).to.equal("waiting");

      // A password reset (or an operator) on the other instance lifts the block: seen there at
      // once, here once this instance's memory of it is LOCKOUT_CACHE_MS old.
      await forgetful.ctx.container.resolve(PasswordAttempts).unlock(email.toLowerCase());
      expect((await forgetful.request.post("/api/v1/auth/signin").send({ email, password: PASSWORD })).status).to.equal(200);
      remembering.clock.advance(400);
      expect((await remembering.request.post("/api/v1/auth/signin").send({ email, password: PASSWORD })).status).to.equal(200);
    });
  });
});
