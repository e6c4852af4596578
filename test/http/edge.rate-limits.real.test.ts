import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { requireBackend, startTestApp, uniqueEmail, type TestApp } from "../support/http-harness.js";
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
});
