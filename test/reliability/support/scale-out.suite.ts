/**
 * Two server processes on one PostgreSQL and one Redis (a single server, or a cluster): what
 * one instance decides, the other enforces on the next request. Registered by
 * scale-out.test.ts (single Redis) and redis-cluster.test.ts (three-master cluster).
 */
import { expect } from "chai";
import { TEST_DATABASE_URL } from "../../support/services.js";
import { AUTH, BASE_ENV, fromIp, GENEROUS_RATE_LIMITS, PASSWORD, seedUsers, signIn, startApp, uniqueEmail, type RunningApp } from "./app.js";
import { bearer } from "./http.js";
import { startServer, tmpDir, type ServerProcess } from "./processes.js";
import { note, skipProperty } from "./summary.js";

/** Small budgets on two routes only, to see them shared; everything else stays generous. */
const RATE_LIMITED = {
  route: "forgot-password",
  ipPerWindow: 6,
  accountRoute: "resend-verification",
  accountPerWindow: 4,
};

export function scaleOutSuite(label: string, redisEnv: () => Record<string, string>): void {
  describe(label, function () {
    let a: ServerProcess | undefined;
    let b: ServerProcess | undefined;
    let seeder: RunningApp | undefined;

    before(async function () {
      const rateLimits = JSON.stringify({
        ...JSON.parse(GENEROUS_RATE_LIMITS),
        [RATE_LIMITED.route]: { ipPerWindow: RATE_LIMITED.ipPerWindow, accountPerWindow: 1_000_000 },
        [RATE_LIMITED.accountRoute]: { ipPerWindow: 1_000_000, accountPerWindow: RATE_LIMITED.accountPerWindow },
      });
      const env = { DATABASE_URL: TEST_DATABASE_URL, REFRESH_REUSE_GRACE_SECONDS: "1", ...BASE_ENV, RATE_LIMITS: rateLimits, ...redisEnv() };
      // One deployment: same secrets (startServer passes them), same data directory.
      const dataDir = tmpDir("scale-out");
      [a, b] = await Promise.all([startServer(env, { dataDir }), startServer(env, { dataDir })]);
      seeder = await startApp();
    });

    after(async () => {
      await Promise.all([a?.kill(), b?.kill()]);
      await seeder?.close();
    });

    async function user(): Promise<string> {
      return (await seedUsers(seeder!.ctx, 1, { label: "scale" }))[0]!.email;
    }

    it("a session revoked through one instance is refused by the other on the next request", async function () {
      const email = await user();
      const one = await signIn(a!.client, email);
      const two = await signIn(b!.client, email);
      expect((await b!.client.get(`${AUTH}/profile`, { headers: bearer(one.accessToken) })).status).to.equal(200);
      expect((await a!.client.post(`${AUTH}/logout`, {}, { headers: bearer(one.accessToken) })).status).to.equal(200);
      expect((await b!.client.get(`${AUTH}/profile`, { headers: bearer(one.accessToken) })).status).to.equal(401);

      // Revoke by id on B, refused on A; "sign out everywhere else" on A, refused on B.
      const three = await signIn(a!.client, email);
      expect((await b!.client.delete(`${AUTH}/sessions/${three.sessionId}`, { headers: bearer(two.accessToken) })).status).to.equal(200);
      expect((await a!.client.get(`${AUTH}/profile`, { headers: bearer(three.accessToken) })).status).to.equal(401);
      const four = await signIn(b!.client, email);
      expect((await a!.client.delete(`${AUTH}/sessions`, { headers: bearer(two.accessToken) })).status).to.equal(200);
      expect((await b!.client.get(`${AUTH}/profile`, { headers: bearer(four.accessToken) })).status).to.equal(401);
      expect((await b!.client.get(`${AUTH}/profile`, { headers: bearer(two.accessToken) })).status).to.equal(200);
    });

    it("each instance caches users, yet a profile change through one is what the other serves next", async function () {
      const email = await user();
      const s = await signIn(a!.client, email);
      const auth = { headers: bearer(s.accessToken) };
      const rounds = 20;
      for (let i = 0; i < rounds; i++) {
        const [writer, reader] = i % 2 === 0 ? [a!, b!] : [b!, a!];
        // Two reads first: the second one is answered from the reader's cache.
        for (let k = 0; k < 2; k++) expect((await reader.client.get(`${AUTH}/profile`, auth)).status).to.equal(200);
        const name = `Renamed ${i}`;
        const patched = await writer.client.patch(`${AUTH}/profile`, { name }, { headers: { ...bearer(s.accessToken), ...fromIp() } });
        expect(patched.status, patched.text).to.equal(200);
        const seen = await reader.client.get(`${AUTH}/profile`, auth);
        expect(seen.body.data.user.name, `round ${i + 1}`).to.equal(name);
      }
      note(this, `${rounds} renames, each read back at once through the other instance`);
    });

    it("a refresh rotated on one instance cannot be replayed on the other after the grace window", async function () {
      const email = await user();
      const s = await signIn(a!.client, email);
      const rotated = await a!.client.post(`${AUTH}/refresh-token`, { refreshToken: s.refreshToken }, { headers: { "x-auth-mode": "token", ...fromIp() } });
      expect(rotated.status, rotated.text).to.equal(200);
      const next = rotated.body.data.tokens as { accessToken: string; refreshToken: string };
      await new Promise((r) => setTimeout(r, 1_200)); // REFRESH_REUSE_GRACE_SECONDS=1
      const replay = await b!.client.post(`${AUTH}/refresh-token`, { refreshToken: s.refreshToken }, { headers: fromIp() });
      expect(replay.status, replay.text).to.equal(401);
      expect(replay.body.code).to.equal("SESSION_REVOKED");
      // The theft detection ended the session everywhere.
      expect((await a!.client.post(`${AUTH}/refresh-token`, { refreshToken: next.refreshToken }, { headers: fromIp() })).status).to.equal(401);
      expect((await a!.client.get(`${AUTH}/profile`, { headers: bearer(next.accessToken) })).status).to.equal(401);
    });

    it("lockout counters are shared: 5 failures split across both block the email on both", async function () {
      const email = await user();
      for (let i = 0; i < 5; i++) {
        const via = i % 2 === 0 ? a! : b!;
        const res = await via.client.post(`${AUTH}/signin`, { email, password: `wrong-${i}-password` }, { headers: fromIp() });
        expect(res.status, res.text).to.equal(401);
      }
      for (const via of [a!, b!]) {
        const wrong = await via.client.post(`${AUTH}/signin`, { email, password: "wrong-again-password" }, { headers: fromIp() });
        expect(wrong.status).to.equal(429);
        expect(wrong.body.code).to.equal("TOO_MANY_ATTEMPTS");
        const right = await via.client.post(`${AUTH}/signin`, { email, password: PASSWORD }, { headers: fromIp() });
        expect(right.status, "the right password is blocked too").to.equal(429);
      }
    });

    it("rate limits are shared across instances (per IP and per account)", async function () {
      const probe = await a!.client.post(`${AUTH}/${RATE_LIMITED.route}`, { email: uniqueEmail("probe") }, { headers: fromIp() });
      if (probe.headers["ratelimit-limit"] === undefined && probe.headers["ratelimit-policy"] === undefined) {
        skipProperty(`${label}: rate limits shared`, "no rate limiter answers with RateLimit-* headers yet");
        this.skip();
      }
      // Per IP: the budget spent half on A, half on B; the next request is refused by both.
      const ip = fromIp();
      for (let i = 0; i < RATE_LIMITED.ipPerWindow; i++) {
        const via = i % 2 === 0 ? a! : b!;
        const res = await via.client.post(`${AUTH}/${RATE_LIMITED.route}`, { email: uniqueEmail("rl") }, { headers: ip });
        expect(res.status, `request ${i + 1}: ${res.text}`).to.equal(200);
      }
      for (const via of [a!, b!]) {
        const res = await via.client.post(`${AUTH}/${RATE_LIMITED.route}`, { email: uniqueEmail("rl") }, { headers: ip });
        expect(res.status).to.equal(429);
        expect(res.body.code).to.equal("RATE_LIMITED");
        expect(Number(res.headers["retry-after"])).to.be.greaterThan(0);
      }
      // Per account: one address from many IPs, split across both instances.
      const email = uniqueEmail("rl-account");
      for (let i = 0; i < RATE_LIMITED.accountPerWindow; i++) {
        const via = i % 2 === 0 ? b! : a!;
        expect((await via.client.post(`${AUTH}/${RATE_LIMITED.accountRoute}`, { email }, { headers: fromIp() })).status).to.equal(200);
      }
      for (const via of [a!, b!]) {
        const res = await via.client.post(`${AUTH}/${RATE_LIMITED.accountRoute}`, { email }, { headers: fromIp() });
        expect(res.status).to.equal(429);
      }
      note(this, `${RATE_LIMITED.route}: ${RATE_LIMITED.ipPerWindow}/IP, ${RATE_LIMITED.accountRoute}: ${RATE_LIMITED.accountPerWindow}/account, both enforced across instances`);
    });
  });
}
