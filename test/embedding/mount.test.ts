import { expect } from "chai";
import Koa from "koa";
import mount from "koa-mount";
import supertest from "supertest";
import { ConfigError, createHybridAuthApp, InMemoryMailer, loadConfig, type HybridAuthWithApp, type PasswordHasher } from "../../src/index.js";
import { codeFor, cookiesOf } from "../support/http-harness.js";

/**
 * The exported Koa app mounted inside another Koa app under /auth (koa-mount strips the prefix
 * before the routes see the path). BASE_PATH / basePath puts the prefix back in front of the
 * route-scoped cookie paths, so a browser sends the refresh token to /auth/api/v1/auth/....
 */

const plainHasher: PasswordHasher = {
  hash: async (p) => `plain:${p}`,
  verify: async (p, h) => h === `plain:${p}`,
  verifyDummy: async () => {},
};
const PASSWORD = "correct horse battery";
const ORIGIN = "http://localhost:3000";

describe("The Koa app mounted inside another Koa app under a prefix", () => {
  let mailer: InMemoryMailer;
  const opened: HybridAuthWithApp[] = [];

  async function parentWith(basePath?: string) {
    mailer = new InMemoryMailer();
    const auth = await createHybridAuthApp({
      config: { CORS_ORIGIN: ORIGIN, NODE_ENV: "test" },
      defaults: "memory",
      adapters: { mailer, passwordHasher: plainHasher },
      ...(basePath !== undefined ? { basePath } : {}),
    });
    opened.push(auth);
    const parent = new Koa();
    parent.use(mount("/auth", auth.app));
    parent.use(async (ctx) => {
      ctx.body = { parent: true, path: ctx.path };
    });
    const callback = parent.callback();
    // An agent keeps cookies like a browser, sending each only under its Path.
    return Object.assign(supertest.agent(callback), { plain: () => supertest(callback) });
  }

  async function signUpAndVerify(agent: supertest.Agent, email: string): Promise<void> {
    await agent.post("/auth/api/v1/auth/signup").set("Origin", ORIGIN).send({ name: "Mo", email, password: PASSWORD, confirmPassword: PASSWORD }).expect(201);
    const otpCode = await codeFor(mailer, email);
    const verified = await agent.post("/auth/api/v1/auth/verify-user").set("Origin", ORIGIN).send({ email, otpCode }).expect(200);
    expect(verified.body.data.user).to.include({ email, isEmailVerified: true });
  }

  afterEach(async () => {
    while (opened.length) await opened.pop()!.close();
  });

  it("serves sign-up → verify → sign-in → profile → refresh under /auth with cookies, next to the parent's own routes", async () => {
    const agent = await parentWith("/auth");
    expect((await agent.get("/elsewhere").expect(200)).body).to.deep.equal({ parent: true, path: "/elsewhere" });
    expect((await agent.get("/auth/api/v1/health").expect(200)).body.data.status).to.equal("ok");

    await signUpAndVerify(agent, "mo@example.com");
    const signIn = await agent.post("/auth/api/v1/auth/signin").set("Origin", ORIGIN).send({ email: "mo@example.com", password: PASSWORD }).expect(200);
    const cookies = cookiesOf(signIn);
    expect(cookies.refreshToken?.attrs.path, "the refresh cookie follows the mount prefix").to.equal("/auth/api/v1/auth");
    expect(cookies.accessToken?.attrs.path).to.equal("/");

    const profile = await agent.get("/auth/api/v1/auth/profile").expect(200);
    expect(profile.body.data.user).to.include({ email: "mo@example.com", name: "Mo" });

    // The browser-side jar sends the refresh cookie only under its path: this works only with the prefix.
    const refreshed = await agent.post("/auth/api/v1/auth/refresh-token").set("Origin", ORIGIN).send({}).expect(200);
    expect(cookiesOf(refreshed).refreshToken?.value).to.be.a("string").and.not.equal(cookies.refreshToken?.value);
    expect(refreshed.body.data.user.email).to.equal("mo@example.com");

    // The API reference points clients at the prefix too.
    expect((await agent.get("/auth/api/openapi.json").expect(200)).body.servers).to.deep.equal([{ url: "/auth" }]);
    expect((await agent.get("/auth/api/docs").expect(200)).text).to.include('href="/auth/api/openapi.json"');
  });

  it("without the prefix setting, the refresh cookie is scoped to /api/v1/auth and never comes back through /auth", async () => {
    const agent = await parentWith();
    await signUpAndVerify(agent, "nia@example.com");
    const signIn = await agent.post("/auth/api/v1/auth/signin").set("Origin", ORIGIN).send({ email: "nia@example.com", password: PASSWORD }).expect(200);
    expect(cookiesOf(signIn).refreshToken?.attrs.path).to.equal("/api/v1/auth");
    await agent.get("/auth/api/v1/auth/profile").expect(200);
    const refreshed = await agent.post("/auth/api/v1/auth/refresh-token").set("Origin", ORIGIN).send({});
    expect(refreshed.status).to.equal(401);
  });

  it("works in token mode whatever the prefix: bearer access token, refresh token in the body", async () => {
    const agent = await parentWith();
    await signUpAndVerify(agent, "ola@example.com");
    const signIn = await agent.post("/auth/api/v1/auth/signin").set("X-Auth-Mode", "token").send({ email: "ola@example.com", password: PASSWORD }).expect(200);
    const { accessToken, refreshToken } = signIn.body.data.tokens as { accessToken: string; refreshToken: string };
    const plain = agent.plain();
    const profile = await plain.get("/auth/api/v1/auth/profile").set("Authorization", `Bearer ${accessToken}`).expect(200);
    expect(profile.body.data.user.email).to.equal("ola@example.com");
    const rotated = await plain.post("/auth/api/v1/auth/refresh-token").set("X-Auth-Mode", "token").send({ refreshToken }).expect(200);
    expect(rotated.body.data.tokens.refreshToken).to.be.a("string").and.not.equal(refreshToken);
  });

  it("takes the prefix from BASE_PATH too (a proxy that strips it), normalised, and refuses one that is not a path", async () => {
    const load = (BASE_PATH: string) => loadConfig({ NODE_ENV: "test", BASE_PATH }, { persistSecrets: false }).basePath;
    expect([load("/auth/"), load("/a/b"), load("/")]).to.deep.equal(["/auth", "/a/b", ""]);
    for (const bad of ["auth", "/a b", "/a?x=1"]) expect(() => load(bad), bad).to.throw(ConfigError, /BASE_PATH/);

    mailer = new InMemoryMailer();
    const auth = await createHybridAuthApp({ config: { NODE_ENV: "test", BASE_PATH: "/sso" }, defaults: "memory", adapters: { mailer, passwordHasher: plainHasher } });
    opened.push(auth);
    await auth.useCases.createVerifiedUser.execute({ name: "Pam", email: "pam@example.com", password: PASSWORD });
    const res = await supertest(auth.app.callback()).post("/api/v1/auth/signin").send({ email: "pam@example.com", password: PASSWORD }).expect(200);
    expect(cookiesOf(res).refreshToken?.attrs.path).to.equal("/sso/api/v1/auth");
  });
});
