import "reflect-metadata";
import { expect } from "chai";
import type supertest from "supertest";
import { RATE_LIMITER, type RateLimiter } from "../../src/adapters/http/rate-limits.js";
import { PasswordAttempts } from "../../src/application/services/password-attempts.service.js";
import { PASSWORD, codeFor, registerVerified, requireBackend, signInTokens, startTestApp, uniqueEmail, type Backend, type TestApp } from "../support/http-harness.js";

const A = "/api/v1/auth";

type Budgets = Record<string, { ipPerWindow?: number; accountPerWindow?: number; windowSeconds?: number }>;

/** Every route the table limits from the foundation and account issues; OAuth ones when installed. */
const EXPECTED_LIMITED = [
  ["post", `${A}/signup`],
  ["post", `${A}/signin`],
  ["post", `${A}/verify-user`],
  ["post", `${A}/resend-verification`],
  ["post", `${A}/forgot-password`],
  ["post", `${A}/verify-reset-otp`],
  ["post", `${A}/reset-password`],
  ["post", `${A}/change-password`],
  ["post", `${A}/refresh-token`],
] as const;

export function expectRateLimited(res: supertest.Response): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(429);
  expect(res.body).to.include({ success: false, statusCode: 429, code: "RATE_LIMITED" });
  expect(res.headers["content-type"]).to.match(/^application\/json/);
  const retryAfter = Number(res.headers["retry-after"]);
  expect(retryAfter).to.be.within(1, 3600);
  expect(res.headers["ratelimit-remaining"]).to.equal("0");
  expect(Number(res.headers["ratelimit-reset"])).to.be.within(0, 3600);
}

export function rateLimitSuite(backend: Backend): void {
  const apps: TestApp[] = [];
  const start = async (budgets: Budgets, env: Record<string, string> = {}) => {
    const app = await startTestApp(backend, { env: { RATE_LIMITS: JSON.stringify(budgets), ...env } });
    apps.push(app);
    return app;
  };

  before(async function () {
    await requireBackend(this, backend);
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
  });

  it("every route the router serves that matches a budget is limited per IP, found by pattern, not by a list", async () => {
    const app = await start({ "*": { ipPerWindow: 2, accountPerWindow: 0, windowSeconds: 60 } }, { TRUST_PROXY: "true" });
    // A session from another IP, so setting it up spends nothing of the probing IP's budgets.
    const email = await registerVerifiedFrom(app, "10.1.0.1");
    const { accessToken } = await signInFrom(app, email, "10.1.0.1");
    const limiter = app.ctx.container.resolve<RateLimiter>(RATE_LIMITER);
    const limited = app.ctx.app.routeSpecs.filter((s) => limiter.budgetOf(s));
    for (const [method, path] of EXPECTED_LIMITED)
      expect(limited.some((s) => s.method === method && s.path === path), `${method} ${path} is limited`).to.equal(true);
    for (const spec of app.ctx.app.routeSpecs.filter((s) => s.path.startsWith("/api/auth/")))
      expect(limiter.budgetOf(spec), `OAuth route ${spec.method} ${spec.path}`).to.not.equal(null);
    for (const path of ["/api/v1/health", "/api/openapi.json", `${A}/logout`, `${A}/sessions`])
      expect(app.ctx.app.routeSpecs.filter((s) => s.path === path).every((s) => !limiter.budgetOf(s)), path).to.equal(true);

    // Routes matched by one row (the OAuth providers' start routes) share that row's budget.
    const groups = new Map<string, typeof limited>();
    for (const spec of limited) {
      const name = limiter.budgetOf(spec)!.name;
      groups.set(name, [...(groups.get(name) ?? []), spec]);
    }
    for (const [name, specs] of groups) {
      const send = (spec: (typeof limited)[number]) => {
        const path = spec.path.replace(/:(\w+)/g, "x");
        let req = app.request[spec.method](path).set("X-Forwarded-For", "10.1.0.2");
        if (spec.auth === "access") req = req.set("Authorization", `Bearer ${accessToken}`);
        return spec.method === "get" ? req : req.send({});
      };
      const first = await send(specs[0]!);
      expect(first.status, `${name} ${specs[0]!.path}: ${JSON.stringify(first.body)}`).to.not.equal(429);
      expect(first.headers["ratelimit-limit"], name).to.equal("2");
      expect(first.headers["ratelimit-remaining"], name).to.equal("1");
      expect((await send(specs.at(-1)!)).status, name).to.not.equal(429);
      for (const spec of specs) expectRateLimited(await send(spec));
    }
    // Unlimited routes carry no budget headers.
    const health = await app.request.get("/api/v1/health").expect(200);
    expect(health.headers["ratelimit-limit"]).to.equal(undefined);
  });

  it("429 carries Retry-After, RateLimit-Limit/Remaining/Reset/Policy and the error envelope; the count is exact", async () => {
    const app = await start({ signin: { ipPerWindow: 3, accountPerWindow: 0, windowSeconds: 120 } });
    const statuses: number[] = [];
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await app.request.post(`${A}/signin`).send({ email: uniqueEmail("nobody"), password: PASSWORD });
      statuses.push(res.status);
      remaining.push(String(res.headers["ratelimit-remaining"]));
      expect(res.headers["ratelimit-limit"]).to.equal("3");
      expect(res.headers["ratelimit-policy"]).to.equal("3;w=120");
      expect(Number(res.headers["ratelimit-reset"])).to.be.within(1, 120);
    }
    expect(statuses).to.deep.equal([401, 401, 401]);
    expect(remaining).to.deep.equal(["2", "1", "0"]);
    const res = await app.request.post(`${A}/signin`).send({ email: uniqueEmail("nobody"), password: PASSWORD });
    expectRateLimited(res);
    expect(Number(res.headers["retry-after"])).to.be.within(1, 120);
    expect(res.headers["ratelimit-limit"]).to.equal("3");
    // Other routes have budgets of their own.
    await app.request.post(`${A}/forgot-password`).send({ email: uniqueEmail() }).expect(200);
  });

  it("a route's budget is one budget however its path is spelled (exact, trailing slash, other letter case)", async () => {
    // The exact path is served from the app's table of parameterless routes, the other spellings
    // by @koa/router: both must run the same limiter.
    const app = await start({ "forgot-password": { ipPerWindow: 3, accountPerWindow: 0, windowSeconds: 120 } });
    const remaining: string[] = [];
    for (const path of [`${A}/forgot-password`, `${A}/forgot-password/`, `${A}/Forgot-Password`]) {
      const res = await app.request.post(path).send({ email: uniqueEmail() }).expect(200);
      remaining.push(String(res.headers["ratelimit-remaining"]));
    }
    expect(remaining).to.deep.equal(["2", "1", "0"]);
    expectRateLimited(await app.request.post(`${A}/forgot-password`).send({ email: uniqueEmail() }));
  });

  it("sign-in reads its body alongside the IP budget, yet over that budget the answer is still RATE_LIMITED, for a bad body or a blocked address", async () => {
    // LOCKOUT_CACHE_MS=0: an instance that remembers the block answers it without waiting for the
    // budget (edge.rate-limits.real.test.ts); the order holds whenever both are asked.
    const app = await start({ signin: { ipPerWindow: 2, accountPerWindow: 100, windowSeconds: 120 } }, { LOCKOUT_CACHE_MS: "0" });
    const blocked = uniqueEmail("blocked");
    await app.ctx.container.resolve(PasswordAttempts).lock(blocked, 900);
    const signin = () => app.request.post(`${A}/signin`);
    expect((await signin().send({ email: blocked, password: PASSWORD })).body.code).to.equal("TOO_MANY_ATTEMPTS");
    expect((await signin().set("Content-Type", "application/json").send("{not json")).status).to.equal(400);
    expectRateLimited(await signin().send({ email: blocked, password: PASSWORD }));
    expectRateLimited(await signin().set("Content-Type", "application/json").send("{not json"));
    expectRateLimited(await signin().set("Content-Type", "text/plain").send("hello"));
  });

  it("a blocked address is refused as blocked (TOO_MANY_ATTEMPTS) without spending its account budget", async () => {
    const app = await start({ signin: { ipPerWindow: 100, accountPerWindow: 2, windowSeconds: 120 } });
    const blocked = uniqueEmail("blocked");
    await app.ctx.container.resolve(PasswordAttempts).lock(blocked, 900);
    for (let i = 0; i < 4; i++) {
      const res = await app.request.post(`${A}/signin`).send({ email: blocked, password: PASSWORD });
      expect(res.status).to.equal(429);
      expect(res.body.code).to.equal("TOO_MANY_ATTEMPTS");
      expect(Number(res.headers["retry-after"])).to.be.within(800, 900);
    }
    // Unblocked, the address still has its whole budget.
    await app.ctx.container.resolve(PasswordAttempts).unlock(blocked);
    for (let i = 0; i < 2; i++) expect((await app.request.post(`${A}/signin`).send({ email: blocked, password: PASSWORD })).status).to.equal(401);
    expectRateLimited(await app.request.post(`${A}/signin`).send({ email: blocked, password: PASSWORD }));
  });

  it("the budget frees up when the window has passed", async () => {
    const app = await start({ "forgot-password": { ipPerWindow: 1, accountPerWindow: 0, windowSeconds: 1 } });
    await app.request.post(`${A}/forgot-password`).send({ email: uniqueEmail() }).expect(200);
    expectRateLimited(await app.request.post(`${A}/forgot-password`).send({ email: uniqueEmail() }));
    await new Promise((r) => setTimeout(r, 1100));
    await app.request.post(`${A}/forgot-password`).send({ email: uniqueEmail() }).expect(200);
  });

  it("an email named in the body has its own budget across IPs, normalised (case, spaces), before any use case runs", async () => {
    const app = await start({ "forgot-password": { ipPerWindow: 100, accountPerWindow: 2, windowSeconds: 60 } }, { TRUST_PROXY: "true" });
    const email = uniqueEmail("target");
    const mailsBefore = app.mailer.sent.length;
    await app.request.post(`${A}/forgot-password`).set("X-Forwarded-For", "10.2.0.1").send({ email: email.toUpperCase() }).expect(200);
    await app.request.post(`${A}/forgot-password`).set("X-Forwarded-For", "10.2.0.2").send({ email: `  ${email} ` }).expect(200);
    const third = await app.request.post(`${A}/forgot-password`).set("X-Forwarded-For", "10.2.0.3").send({ email });
    expectRateLimited(third);
    expect(third.headers["ratelimit-policy"]).to.equal("100;w=60, 2;w=60");
    // Another address from the same IP is unaffected.
    await app.request.post(`${A}/forgot-password`).set("X-Forwarded-For", "10.2.0.3").send({ email: uniqueEmail() }).expect(200);
    expect(app.mailer.sent.length).to.equal(mailsBefore); // unknown addresses: no mail either way
  });

  it("on a signed-in route the account budget is the user, whatever the IP", async () => {
    const app = await start({ "change-password": { ipPerWindow: 100, accountPerWindow: 2, windowSeconds: 60 } }, { TRUST_PROXY: "true" });
    const alice = await signInTokens(app, await registerVerified(app));
    const bob = await signInTokens(app, await registerVerified(app));
    const change = (token: string, ip: string) =>
      app.request.post(`${A}/change-password`).set("X-Forwarded-For", ip).set("Authorization", `Bearer ${token}`).send({ oldPassword: "x", newPassword: "y" });
    expect((await change(alice.accessToken, "10.3.0.1")).status).to.equal(400);
    expect((await change(alice.accessToken, "10.3.0.2")).status).to.equal(400);
    expectRateLimited(await change(alice.accessToken, "10.3.0.3"));
    expect((await change(bob.accessToken, "10.3.0.3")).status).to.equal(400);
  });

  it("without TRUST_PROXY, X-Forwarded-For is ignored: a client cannot pick a fresh budget", async () => {
    const app = await start({ "resend-verification": { ipPerWindow: 2, accountPerWindow: 0, windowSeconds: 60 } });
    for (const ip of ["10.4.0.1", "10.4.0.2"])
      await app.request.post(`${A}/resend-verification`).set("X-Forwarded-For", ip).send({ email: uniqueEmail() }).expect(200);
    expectRateLimited(await app.request.post(`${A}/resend-verification`).set("X-Forwarded-For", "10.4.0.3").send({ email: uniqueEmail() }));
  });

  it("with TRUST_PROXY, the hop the proxy appended is the client; entries the client wrote to its left are not believed", async () => {
    const app = await start({ "resend-verification": { ipPerWindow: 2, accountPerWindow: 0, windowSeconds: 60 } }, { TRUST_PROXY: "true" });
    const send = (xff: string) => app.request.post(`${A}/resend-verification`).set("X-Forwarded-For", xff).send({ email: uniqueEmail() });
    expect((await send("1.1.1.1, 10.5.0.1")).status).to.equal(200);
    expect((await send("2.2.2.2, 10.5.0.1")).status).to.equal(200);
    expectRateLimited(await send("3.3.3.3, 10.5.0.1"));
    // A different client behind the same proxy has its own budget.
    expect((await send("10.5.0.2")).status).to.equal(200);
    // And ctx.ip (recorded on sessions) is that same hop.
    const email = await registerVerifiedFrom(app, "10.5.0.9");
    const { accessToken } = await signInFrom(app, email, "4.4.4.4, 10.5.0.7");
    const sessions = await app.request.get(`${A}/sessions`).set("Authorization", `Bearer ${accessToken}`).expect(200);
    expect(sessions.body.data.sessions[0].ip).to.equal("10.5.0.7");
  });

  it("with TRUST_PROXY=2 (a CDN in front of the load balancer), the entry the outer proxy appended is the client", async () => {
    const app = await start({ "resend-verification": { ipPerWindow: 2, accountPerWindow: 0, windowSeconds: 60 } }, { TRUST_PROXY: "2" });
    // client-written, CDN-appended (the client), load-balancer-appended (the CDN's address)
    const send = (xff: string) => app.request.post(`${A}/resend-verification`).set("X-Forwarded-For", xff).send({ email: uniqueEmail() });
    expect((await send("1.1.1.1, 10.7.0.1, 172.16.0.1")).status).to.equal(200);
    expect((await send("2.2.2.2, 10.7.0.1, 172.16.0.2")).status).to.equal(200);
    expectRateLimited(await send("3.3.3.3, 10.7.0.1, 172.16.0.1"));
    expect((await send("10.7.0.2, 172.16.0.1")).status).to.equal(200);
    const email = await registerVerifiedFrom(app, "9.9.9.9, 10.7.0.9, 172.16.0.1");
    const { accessToken } = await signInFrom(app, email, "4.4.4.4, 10.7.0.8, 172.16.0.1");
    const sessions = await app.request.get(`${A}/sessions`).set("Authorization", `Bearer ${accessToken}`).expect(200);
    expect(sessions.body.data.sessions[0].ip).to.equal("10.7.0.8");
  });

  it("IPv6 clients in one /64 share a budget", async () => {
    const app = await start({ "resend-verification": { ipPerWindow: 2, accountPerWindow: 0, windowSeconds: 60 } }, { TRUST_PROXY: "true" });
    const send = (ip: string) => app.request.post(`${A}/resend-verification`).set("X-Forwarded-For", ip).send({ email: uniqueEmail() });
    expect((await send("2001:db8:1:2::1")).status).to.equal(200);
    expect((await send("2001:db8:1:2:ffff:1:2:3")).status).to.equal(200);
    expectRateLimited(await send("2001:0db8:0001:0002::abcd"));
    expect((await send("2001:db8:1:3::1")).status).to.equal(200);
  });
}

async function registerVerifiedFrom(app: TestApp, ip: string): Promise<string> {
  const email = uniqueEmail();
  await app.request.post(`${A}/signup`).set("X-Forwarded-For", ip).send({ name: "Rate", email, password: PASSWORD, confirmPassword: PASSWORD }).expect(201);
  const otpCode = await codeFor(app.mailer, email);
  await app.request.post(`${A}/verify-user`).set("X-Forwarded-For", ip).send({ email, otpCode }).expect(200);
  return email;
}

async function signInFrom(app: TestApp, email: string, xff: string): Promise<{ accessToken: string }> {
  const res = await app.request.post(`${A}/signin`).set("X-Auth-Mode", "token").set("X-Forwarded-For", xff).send({ email, password: PASSWORD }).expect(200);
  return { accessToken: res.body.data.tokens.accessToken };
}
