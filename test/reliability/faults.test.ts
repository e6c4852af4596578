/**
 * 5. Faults: Redis killed mid-run, PostgreSQL cut off behind a proxy, a server SIGKILLed in the
 * middle of sign-ups. What needs the missing dependency answers 503 within 2 s, liveness stays
 * 200, readiness says 503; the service recovers by itself; committed sessions survive; a killed
 * sign-up never blocks its address.
 */
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { sql } from "drizzle-orm";
import { requirePostgres, requireRedis, TEST_DATABASE_URL, TEST_REDIS_URL } from "../support/services.js";
import { AUTH, fromIp, HEALTH, PASSWORD, seedUsers, signIn, startApp, uniqueEmail, type RunningApp, type Tokens } from "./support/app.js";
import { bearer, type HttpClient, type HttpResponse } from "./support/http.js";
import { redisServerAvailable, startRedis, startServer, waitFor, type RedisProcess, type ServerProcess } from "./support/processes.js";
import { note, skipProperty } from "./support/summary.js";
import { TcpProxy } from "./support/tcp-proxy.js";

const DEADLINE_MS = 2_000;

/** Requests that need the dependency, timed; every one must be a 503 within the deadline. */
async function expectUnavailable(client: HttpClient, calls: Array<[string, () => Promise<HttpResponse>]>): Promise<number> {
  let slowest = 0;
  for (const [name, call] of calls) {
    const started = performance.now();
    const res = await call();
    const ms = performance.now() - started;
    slowest = Math.max(slowest, ms);
    expect(res.status, `${name}: ${res.text}`).to.equal(503);
    expect(res.body.code, name).to.equal("SERVICE_UNAVAILABLE");
    expect(ms, `${name} took ${ms.toFixed(0)} ms`).to.be.below(DEADLINE_MS);
  }
  expect((await client.get(HEALTH)).status, "liveness").to.equal(200);
  const ready = await client.get(`${HEALTH}/detailed`);
  expect(ready.status, "readiness").to.equal(503);
  return slowest;
}

/** A steady trickle of requests while the fault happens: none may hang past the deadline or 500. */
function backgroundLoad(client: HttpClient, tokens: Tokens, email: string) {
  const problems: string[] = [];
  let running = true;
  let sent = 0;
  const loop = (async () => {
    while (running) {
      const calls = [
        () => client.get(`${AUTH}/profile`, { headers: bearer(tokens.accessToken), timeoutMs: 5_000 }),
        // Another address: the owner's own sign-in below must not be locked by this noise.
        () => client.post(`${AUTH}/signin`, { email: `noise-${email}`, password: "wrong password here" }, { headers: fromIp(), timeoutMs: 5_000 }),
        () => client.get(HEALTH, { timeoutMs: 5_000 }),
      ];
      for (const call of calls) {
        const started = performance.now();
        try {
          const res = await call();
          sent++;
          const ms = performance.now() - started;
          if (res.status >= 500 && res.status !== 503) problems.push(`${res.status}: ${res.text.slice(0, 200)}`);
          if (ms > DEADLINE_MS + 500) problems.push(`answer after ${ms.toFixed(0)} ms (${res.status})`);
        } catch (err) {
          problems.push(`no answer: ${(err as Error).message}`);
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { problems, sent };
    },
  };
}

describe("Faults", function () {
  before(async function () {
    await requirePostgres(this);
    await requireRedis(this);
  });

  describe("Redis", function () {
    let redis: RedisProcess | undefined;
    let app: RunningApp | undefined;

    before(async function () {
      if (!redisServerAvailable()) {
        skipProperty("Redis stopped mid-run", "redis-server is not installed");
        this.skip();
      }
      redis = await startRedis();
      app = await startApp({ env: { REDIS_URL: redis.url } });
    });

    after(async () => {
      await app?.close();
      await redis?.stop();
    });

    it("stopped mid-run: 503 within 2 s, liveness 200, readiness 503; back: recovers, sessions kept", async function () {
      const a = app!;
      const [user] = await seedUsers(a.ctx, 1);
      const s = await signIn(a.client, user!.email);
      expect((await a.client.get(`${AUTH}/profile`, { headers: bearer(s.accessToken) })).status).to.equal(200);
      const load = backgroundLoad(a.client, s, user!.email);
      await new Promise((r) => setTimeout(r, 200));

      await redis!.stop("SIGKILL");
      const downSince = performance.now();
      const slowest = await expectUnavailable(a.client, [
        ["GET /profile (session lookup)", () => a.client.get(`${AUTH}/profile`, { headers: bearer(s.accessToken) })],
        ["POST /signin (attempt counter)", () => a.client.post(`${AUTH}/signin`, { email: user!.email, password: PASSWORD }, { headers: fromIp() })],
        ["POST /refresh-token", () => a.client.post(`${AUTH}/refresh-token`, { refreshToken: s.refreshToken }, { headers: fromIp() })],
        ["POST /verify-user (codes)", () => a.client.post(`${AUTH}/verify-user`, { email: user!.email, otpCode: "123456" }, { headers: fromIp() })],
      ]);
      const ready = await a.client.get(`${HEALTH}/detailed`);
      expect(ready.body.data.dependencies.sessionStore.status).to.equal("down");
      expect(ready.body.data.dependencies.database.status).to.equal("up");
      // A real outage, not a blip: the client's reconnect backoff grows meanwhile.
      await new Promise((r) => setTimeout(r, Math.max(0, 3_000 - (performance.now() - downSince))));

      await redis!.restart();
      const restarted = performance.now();
      await waitFor("the session to work again", async () => (await a.client.get(`${AUTH}/profile`, { headers: bearer(s.accessToken) })).status === 200, 20_000, 100);
      const recoveryMs = performance.now() - restarted;
      const { problems, sent } = await load.stop();
      expect((await a.client.get(`${HEALTH}/detailed`)).status).to.equal(200);
      // The session from before the outage still refreshes; new sign-ins work.
      expect((await a.client.post(`${AUTH}/refresh-token`, { refreshToken: s.refreshToken }, { headers: { "x-auth-mode": "token", ...fromIp() } })).status).to.equal(200);
      await signIn(a.client, user!.email);
      note(this, `3 s outage; slowest 503 ${slowest.toFixed(0)} ms; back ${(recoveryMs / 1000).toFixed(1)} s after Redis restarted; ${sent} background requests, ${problems.length} problems`);
      expect(problems).to.deep.equal([]);
    });
  });

  describe("PostgreSQL", function () {
    let proxy: TcpProxy | undefined;
    let app: RunningApp | undefined;

    before(async function () {
      const target = new URL(TEST_DATABASE_URL);
      proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
      const viaProxy = new URL(TEST_DATABASE_URL);
      viaProxy.hostname = "127.0.0.1";
      viaProxy.port = String(proxy.port);
      app = await startApp({ env: { DATABASE_URL: viaProxy.toString() } });
    });

    after(async () => {
      await app?.close();
      await proxy?.close();
    });

    it("cut off mid-run: 503 within 2 s, liveness 200, readiness 503; restored: recovers without restart", async function () {
      const a = app!;
      const [user, other] = await seedUsers(a.ctx, 2);
      const s = await signIn(a.client, user!.email);
      // Signed in, but never served by /profile: this instance has not cached that user.
      const o = await signIn(a.client, other!.email);
      expect((await a.client.get(`${AUTH}/profile`, { headers: bearer(s.accessToken) })).status).to.equal(200);
      const load = backgroundLoad(a.client, s, user!.email);
      await new Promise((r) => setTimeout(r, 200));

      proxy!.cut();
      const downSince = performance.now();
      const slowest = await expectUnavailable(a.client, [
        ["GET /profile (a user row not cached yet)", () => a.client.get(`${AUTH}/profile`, { headers: bearer(o.accessToken) })],
        ["POST /signin (user lookup)", () => a.client.post(`${AUTH}/signin`, { email: user!.email, password: PASSWORD }, { headers: fromIp() })],
        ["POST /signup", () => a.client.post(`${AUTH}/signup`, { name: "Cut", email: uniqueEmail("cut"), password: PASSWORD, confirmPassword: PASSWORD }, { headers: fromIp() })],
        ["POST /forgot-password", () => a.client.post(`${AUTH}/forgot-password`, { email: user!.email }, { headers: fromIp() })],
      ]);
      const ready = await a.client.get(`${HEALTH}/detailed`);
      expect(ready.body.data.dependencies.database.status).to.equal("down");
      expect(ready.body.data.dependencies.sessionStore.status).to.equal("up");
      // A user this instance has cached keeps working where only Redis is needed besides the
      // row (no write can change the row while the database is down): profile, session list.
      const cached = await a.client.get(`${AUTH}/profile`, { headers: bearer(s.accessToken) });
      expect(cached.status).to.equal(200);
      expect(cached.body.data.user.name).to.equal(user!.name);
      expect((await a.client.get(`${AUTH}/sessions`, { headers: bearer(s.accessToken) })).status).to.equal(200);
      // A write fails, and the cached row is dropped with it (whether it committed is unknowable).
      await expectUnavailable(a.client, [
        ["PATCH /profile (a write)", () => a.client.patch(`${AUTH}/profile`, { name: "Written While Down" }, { headers: { ...bearer(s.accessToken), ...fromIp() } })],
        ["GET /profile after the failed write", () => a.client.get(`${AUTH}/profile`, { headers: bearer(s.accessToken) })],
      ]);
      await new Promise((r) => setTimeout(r, Math.max(0, 3_000 - (performance.now() - downSince))));

      proxy!.restore();
      const restored = performance.now();
      await waitFor("the database to answer again", async () => (await a.client.get(`${AUTH}/profile`, { headers: bearer(o.accessToken) })).status === 200, 20_000, 100);
      const recoveryMs = performance.now() - restored;
      const { problems, sent } = await load.stop();
      expect((await a.client.get(`${HEALTH}/detailed`)).status).to.equal(200);
      await signIn(a.client, user!.email);
      note(this, `3 s outage; slowest 503 ${slowest.toFixed(0)} ms; back ${(recoveryMs / 1000).toFixed(1)} s after the network returned; ${sent} background requests, ${problems.length} problems`);
      expect(problems).to.deep.equal([]);
    });
  });

  describe("SIGKILL during sign-up", function () {
    let first: ServerProcess | undefined;
    let second: ServerProcess | undefined;

    after(async () => {
      await first?.kill("SIGKILL");
      await second?.kill();
    });

    function codeFromOutbox(dir: string, email: string, after: number): string | null {
      const box = path.join(dir, "outbox");
      if (!fs.existsSync(box)) return null;
      const mails = fs
        .readdirSync(box)
        .filter((f) => f.endsWith(".json"))
        .map((f) => JSON.parse(fs.readFileSync(path.join(box, f), "utf8")) as { to: string; tag: string; text: string; sentAt: string })
        .filter((m) => m.to === email && m.tag === "verify-email" && Date.parse(m.sentAt) >= after)
        .sort((x, y) => x.sentAt.localeCompare(y.sentAt));
      return mails.at(-1)?.text.match(/\b(\d{6})\b/)?.[1] ?? null;
    }

    it("leaves no half-created account: the same address signs up again, verifies and signs in", async function () {
      const env = { DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: TEST_REDIS_URL, BCRYPT_COST: "10" };
      const probe = await startApp();
      const rowsFor = async (emails: string[]): Promise<Set<string>> => {
        const result = await probe.ctx.database!.db.execute(sql`select email_normalized from users where email_normalized in ${emails}`);
        return new Set((result as unknown as { rows: Array<{ email_normalized: string }> }).rows.map((r) => r.email_normalized));
      };
      try {
        // Sign-ups finish one after another (hashing is bounded to the cores); the process is
        // killed the moment a row exists whose request has not been answered: between the
        // INSERT and the answer. Up to three rounds to land in that window.
        const interrupted: string[] = [];
        const halfCreated: string[] = [];
        let answeredTotal = 0;
        let sentTotal = 0;
        for (let round = 0; round < 3 && halfCreated.length === 0; round++) {
          first = await startServer(env);
          const emails = Array.from({ length: 16 }, () => uniqueEmail("kill"));
          sentTotal += emails.length;
          const answered = new Set<string>();
          const inFlight = emails.map((email) =>
            first!.client
              .post(`${AUTH}/signup`, { name: "Killed Midway", email, password: PASSWORD, confirmPassword: PASSWORD }, { headers: fromIp(), timeoutMs: 20_000 })
              .then((r) => {
                if (r.status === 201) answered.add(email);
              })
              .catch(() => undefined),
          );
          await waitFor("a row whose sign-up is still running", async () => [...(await rowsFor(emails))].some((e) => !answered.has(e)) || answered.size === emails.length, 20_000, 1);
          await first.kill("SIGKILL");
          await Promise.all(inFlight);
          const rows = await rowsFor(emails);
          answeredTotal += answered.size;
          for (const e of emails.filter((x) => !answered.has(x))) {
            interrupted.push(e);
            if (rows.has(e)) halfCreated.push(e);
          }
        }
        note(this, `SIGKILL with ${answeredTotal}/${sentTotal} sign-ups answered; ${interrupted.length} interrupted, ${halfCreated.length} of them after their row was written`);
        expect(interrupted.length, "the kill interrupted some sign-ups").to.be.greaterThan(0);
        expect(halfCreated.length, "a kill between INSERT and answer (three rounds)").to.be.greaterThan(0);

        // The restarted instance needs no slow hashes; every interrupted address signs up again,
        // and the half-created ones plus a few others go all the way to a signed-in session.
        second = await startServer({ ...env, BCRYPT_COST: "4" });
        const since = Date.now() - 1_000;
        let verified = 0;
        for (const email of interrupted) {
          const again = await second.client.post(`${AUTH}/signup`, { name: "Second Try", email, password: PASSWORD, confirmPassword: PASSWORD }, { headers: fromIp() });
          expect(again.status, again.text).to.equal(201);
        }
        for (const email of [...halfCreated, ...interrupted.filter((e) => !halfCreated.includes(e)).slice(0, 3)]) {
          let code: string | null = null;
          await waitFor(`a code for ${email}`, async () => (code = codeFromOutbox(second!.dataDir, email, since)) !== null, 5_000, 25);
          const ok = await second.client.post(`${AUTH}/verify-user`, { email, otpCode: code! }, { headers: fromIp() });
          expect(ok.status, ok.text).to.equal(200);
          const session = await signIn(second.client, email);
          expect((await second.client.get(`${AUTH}/profile`, { headers: bearer(session.accessToken) })).body.data.user.name).to.equal("Second Try");
          verified++;
        }
        note(this, `${interrupted.length} interrupted addresses signed up again (201); ${verified} of them (all half-created ones) verified and signed in`);
      } finally {
        await probe.close();
      }
    });
  });
});
