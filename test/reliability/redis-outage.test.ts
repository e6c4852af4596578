import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { expect } from "chai";
import type supertest from "supertest";
import { PASSWORD, registerVerified, signInTokens, startTestApp, uniqueEmail, type TestApp } from "../support/http-harness.js";
import { freePort } from "./support/processes.js";

const A = "/api/v1/auth";

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - started;
}

/** A redis-server of this test's own, on a spare port, without persistence. */
class OwnRedis {
  private proc: ChildProcess | null = null;
  constructor(readonly port: number) {}

  async start(): Promise<void> {
    this.proc = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"], { stdio: "ignore" });
    await until("redis-server accepting connections", 5000, () => canConnect(this.port));
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGKILL");
    await exited;
    this.proc = null;
  }

  /** Still connected but never answering: the hang a deadline has to bound. */
  freeze(): void {
    this.proc?.kill("SIGSTOP");
  }

  thaw(): void {
    this.proc?.kill("SIGCONT");
  }
}

async function timed(req: supertest.Test): Promise<{ res: supertest.Response; ms: number }> {
  const started = Date.now();
  const res = await req;
  return { res, ms: Date.now() - started };
}

function expectUnavailable({ res, ms }: { res: supertest.Response; ms: number }, withinMs: number): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(503);
  expect(res.body).to.include({ success: false, statusCode: 503, code: "SERVICE_UNAVAILABLE" });
  expect(ms).to.be.below(withinMs);
}

describe("Redis outage: the app's own Redis stops and comes back", function () {
  this.timeout(60_000);
  let redis: OwnRedis;
  let app: TestApp;

  before(async function () {
    const available = await new Promise<boolean>((resolve) => {
      const probe = spawn("redis-server", ["--version"], { stdio: "ignore" });
      probe.once("error", () => resolve(false));
      probe.once("exit", (code) => resolve(code === 0));
    });
    if (!available) {
      if (process.env.CI === "true") throw new Error("redis-server is not installed; the outage test needs it");
      this.skip();
    }
    redis = new OwnRedis(await freePort());
    await redis.start();
    // The database stays in memory: only Redis fails here.
    app = await startTestApp("real", { database: "memory", env: { REDIS_URL: `redis://127.0.0.1:${redis.port}` } });
  });
  after(async () => {
    redis?.thaw();
    await app?.close();
    await redis?.stop();
  });

  it("down: liveness 200, readiness 503 naming sessionStore, requests that need Redis 503 within 2 s; back: recovers without a restart", async () => {
    const email = await registerVerified(app);
    const { accessToken } = await signInTokens(app, email);
    await app.request.get(`${A}/profile`).set("Authorization", `Bearer ${accessToken}`).expect(200);

    await redis.stop();

    await app.request.get("/api/v1/health").expect(200);
    const detailed = await timed(app.request.get("/api/v1/health/detailed"));
    expect(detailed.res.status).to.equal(503);
    expect(detailed.res.body.code).to.equal("SERVICE_UNAVAILABLE");
    expect(detailed.res.body.message).to.include("sessionStore");
    expect(detailed.res.body.data.dependencies.sessionStore.status).to.equal("down");
    expect(detailed.res.body.data.dependencies.database.status).to.equal("up");
    expect(detailed.ms).to.be.below(2000);

    expectUnavailable(await timed(app.request.get(`${A}/profile`).set("Authorization", `Bearer ${accessToken}`)), 2000);
    // The rate limiter fails closed before sign-in touches the lockout counters or the sessions.
    expectUnavailable(await timed(app.request.post(`${A}/signin`).send({ email, password: PASSWORD })), 2000);
    expectUnavailable(await timed(app.request.post(`${A}/signup`).send({ name: "X", email: uniqueEmail(), password: PASSWORD, confirmPassword: PASSWORD })), 2000);
    await app.request.get("/api/v1/health").expect(200);

    await redis.start();
    const recoveredIn = await until("readiness back to 200", 15_000, async () => (await app.request.get("/api/v1/health/detailed")).status === 200);
    console.log(`      recovered ${recoveredIn} ms after Redis restarted`);
    // This Redis keeps nothing on disk: the old session is gone, the account (in the database) is not.
    expect((await app.request.get(`${A}/profile`).set("Authorization", `Bearer ${accessToken}`)).status).to.equal(401);
    const again = await signInTokens(app, email);
    await app.request.get(`${A}/profile`).set("Authorization", `Bearer ${again.accessToken}`).expect(200);
    await registerVerified(app);
  });

  it("hung (connected, never answering): answers 503 within the deadlines instead of hanging, and recovers when it answers again", async () => {
    const email = await registerVerified(app);
    const { accessToken } = await signInTokens(app, email);
    redis.freeze();
    try {
      await app.request.get("/api/v1/health").expect(200);
      const detailed = await timed(app.request.get("/api/v1/health/detailed"));
      expect(detailed.res.status).to.equal(503);
      expect(detailed.ms).to.be.below(2000);
      // The rate limiter's deadline is 1 s, so sign-in answers well inside 2 s.
      expectUnavailable(await timed(app.request.post(`${A}/signin`).send({ email, password: PASSWORD })), 2000);
      // The session store's own deadline is 2 s (its adapter's default).
      expectUnavailable(await timed(app.request.get(`${A}/profile`).set("Authorization", `Bearer ${accessToken}`)), 2600);
    } finally {
      redis.thaw();
    }
    await until("readiness back to 200", 10_000, async () => (await app.request.get("/api/v1/health/detailed")).status === 200);
    await app.request.get(`${A}/profile`).set("Authorization", `Bearer ${accessToken}`).expect(200);
  });
});
