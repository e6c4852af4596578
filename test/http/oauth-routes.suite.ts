import "reflect-metadata";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { expect } from "chai";
import { PasswordAttempts } from "../../src/application/services/password-attempts.service.js";
import { OAUTH_FLOW_STORE } from "../../src/adapters/oauth/oauth-flow.store.js";
import { OAUTH_SETTINGS, type OAuthSettings } from "../../src/adapters/oauth/oauth-settings.js";
import { TOKENS } from "../../src/application/tokens.js";
import { ServiceUnavailableError } from "../../src/domain/errors.js";
import type { OAuthProvider } from "../../src/domain/identity.entity.js";
import { FakeOAuthProvider, type FakeUser } from "../support/fake-oauth-provider.js";
import {
  PASSWORD,
  cookiesOf,
  registerVerified,
  requireBackend,
  startTestApp,
  testConfig,
  uniqueEmail,
  type Backend,
  type TestApp,
} from "../support/http-harness.js";
import { CollectingLogger } from "../support/use-case-harness.js";

const O = "/api/auth";
const A = "/api/v1/auth";
const CLIENT = "http://localhost:3000";
const PROVIDERS: OAuthProvider[] = ["github", "google", "facebook"];
const PKCE: Record<OAuthProvider, boolean> = { github: true, google: true, facebook: false };

type Res = { status: number; headers: Record<string, unknown>; body: Record<string, unknown> };

let seq = 0;
function fakeUser(overrides: Partial<FakeUser> = {}): FakeUser {
  return { id: String(1_000_000 + ++seq) + String(Date.now() % 100000), name: "Octo Cat", email: uniqueEmail("oauth"), emailVerified: true, ...overrides };
}

function expectErrorRedirect(res: Res, code: string): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(302);
  expect(res.headers.location).to.equal(`${CLIENT}/?error=${code}`);
  const cookies = cookiesOf(res);
  for (const name of ["accessToken", "refreshToken", "sid"]) expect(cookies[name], `${name} must not be set`).to.equal(undefined);
}

function expectSignedIn(res: Res): string {
  expect(res.status, JSON.stringify(res.body)).to.equal(302);
  expect(res.headers.location).to.equal(`${CLIENT}/`);
  const cookies = cookiesOf(res);
  for (const name of ["accessToken", "refreshToken", "sid"]) {
    expect(cookies[name]?.value, name).to.be.a("string").and.not.empty;
    expect(cookies[name]?.attrs.httponly, `${name} httpOnly`).to.equal(true);
  }
  return cookies.accessToken!.value;
}

/** Every OAuth route through the real passport strategies against a local fake provider. */
export function oauthRoutesSuite(backend: Backend): void {
  let fake: FakeOAuthProvider;
  let app: TestApp;
  let logger: CollectingLogger;
  const redisPrefix = `test:oauth:${randomUUID()}:`;

  before(async function () {
    await requireBackend(this, backend);
    fake = await FakeOAuthProvider.start();
    logger = new CollectingLogger();
    app = await startTestApp(backend, { env: fake.env(), redisPrefix, logger });
  });
  after(async () => {
    await app?.close();
    await fake?.close();
  });
  afterEach(() => fake?.fail(null));

  async function begin(provider: OAuthProvider, query = "", target: TestApp = app) {
    const res = await target.request.get(`${O}/${provider}${query}`);
    expect(res.status, JSON.stringify(res.body)).to.equal(302);
    return { res, location: new URL(res.headers.location as string), cookie: cookiesOf(res)[`oauth_flow_${provider}`]?.value };
  }

  /** The browser at the provider: it redirects back to our callback. */
  async function authorize(location: URL): Promise<URL> {
    const res = await fetch(location, { redirect: "manual" });
    expect(res.status).to.equal(302);
    return new URL(res.headers.get("location")!);
  }

  function callback(provider: OAuthProvider, back: URL, cookie: string | undefined, target: TestApp = app) {
    const req = target.request.get(back.pathname + back.search);
    if (cookie !== undefined) req.set("Cookie", `oauth_flow_${provider}=${cookie}`);
    return req;
  }

  async function dance(provider: OAuthProvider, user: FakeUser, query = "") {
    fake.setUser(provider, user);
    const started = await begin(provider, query);
    const back = await authorize(started.location);
    const res = await callback(provider, back, started.cookie);
    return { started, back, res };
  }

  async function profileOf(accessToken: string) {
    const res = await app.request.get(`${A}/profile`).set("Authorization", `Bearer ${accessToken}`);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.data.user as { id: string; name: string; email: string; isEmailVerified: boolean; avatar: unknown };
  }

  for (const provider of PROVIDERS) {
    describe(`${provider}`, () => {
      it("start redirects to the provider with a random state bound to an httpOnly cookie" + (PKCE[provider] ? " and PKCE (S256)" : " (no PKCE)"), async () => {
        const { res, location, cookie } = await begin(provider);
        expect(location.origin).to.equal(fake.url);
        expect(location.searchParams.get("client_id")).to.equal(fake.clients[provider].id);
        expect(location.searchParams.get("redirect_uri")).to.equal(`http://127.0.0.1:9000${O}/${provider}/callback`);
        const state = location.searchParams.get("state");
        expect(state).to.match(/^[A-Za-z0-9_-]{40,}$/);
        expect(cookie).to.match(/^[A-Za-z0-9_-]{40,}$/);
        // The cookie's flow id is not the state: neither can be derived from the other.
        expect(cookie).to.not.equal(state);
        const attrs = cookiesOf(res)[`oauth_flow_${provider}`]!.attrs;
        expect(attrs).to.include({ httponly: true, samesite: "lax", path: "/api/auth" });
        const lifetime = Date.parse(attrs.expires as string) - Date.now();
        expect(lifetime).to.be.within(9 * 60_000, 10 * 60_000 + 1000);
        if (PKCE[provider]) {
          expect(location.searchParams.get("code_challenge_method")).to.equal("S256");
          expect(location.searchParams.get("code_challenge")).to.match(/^[A-Za-z0-9_-]{43}$/);
        } else {
          expect(location.searchParams.has("code_challenge")).to.equal(false);
        }
        // Two starts never share a state.
        const again = await begin(provider);
        expect(again.location.searchParams.get("state")).to.not.equal(state);
      });

      it("first sign-in creates the account, sets the session cookies and redirects 302 to CLIENT_URL", async () => {
        const user = fakeUser({ name: `First ${provider}` });
        const { res } = await dance(provider, user);
        const accessToken = expectSignedIn(res);
        const profile = await profileOf(accessToken);
        expect(profile).to.include({ name: `First ${provider}`, email: user.email, avatar: null });
        // Only a provider that vouches for the address makes it verified; Facebook never does.
        expect(profile.isEmailVerified).to.equal(provider !== "facebook");
        // The flow cookie is spent.
        expect(cookiesOf(res)[`oauth_flow_${provider}`]?.value).to.equal("");
        if (provider === "facebook") {
          // Graph API calls carry the app secret proof and ask for the email field.
          const me = decodeURIComponent(fake.profileRequests.filter((r) => r.provider === "facebook").at(-1)!.path);
          expect(me).to.match(/[?&]appsecret_proof=[0-9a-f]{64}/).and.match(/[?&]fields=id,name,email\b/);
        }
      });

      it("second sign-in finds the same account by provider id, even after the email changed at the provider", async () => {
        const user = fakeUser();
        const first = await profileOf(expectSignedIn((await dance(provider, user)).res));
        const second = await profileOf(expectSignedIn((await dance(provider, { ...user, email: uniqueEmail("moved"), name: "Renamed" })).res));
        expect(second.id).to.equal(first.id);
        expect(second).to.include({ email: user.email, name: first.name });
      });

      if (provider === "facebook") {
        it("never links to an existing account by email (Facebook's address is not vouched for)", async () => {
          const email = await registerVerified(app);
          expectErrorRedirect((await dance(provider, fakeUser({ email, emailVerified: true }))).res, "account_exists_unverified_link");
          // Nothing merged: the password still signs in, and no new account appeared.
          await app.request.post(`${A}/signin`).send({ email, password: PASSWORD }).expect(200);
        });
      } else {
        it("links to an existing verified account when the provider vouches for the email", async () => {
          const email = await registerVerified(app, uniqueEmail("owner"), PASSWORD, "Original Owner");
          const owner = (await app.request.post(`${A}/signin`).set("X-Auth-Mode", "token").send({ email, password: PASSWORD }).expect(200)).body.data.user;
          const { res } = await dance(provider, fakeUser({ email: email.toUpperCase(), emailVerified: true, name: "Provider Name" }));
          const profile = await profileOf(expectSignedIn(res));
          expect(profile.id).to.equal(owner.id);
          // The user's own name stays; the password keeps working.
          expect(profile.name).to.equal("Original Owner");
          await app.request.post(`${A}/signin`).send({ email, password: PASSWORD }).expect(200);
        });

        it("refuses to link when the provider does not vouch for the email: redirect with an error, nothing merged", async () => {
          const email = await registerVerified(app);
          const user =
            provider === "github"
              ? fakeUser({ email, emailVerified: false, githubEmails: [{ email, primary: true, verified: false }] })
              : fakeUser({ email, emailVerified: false });
          expectErrorRedirect((await dance(provider, user)).res, "account_exists_unverified_link");
          // The same provider account, once verified, links to the same user (proves nothing was linked before).
          const { res } = await dance(provider, { ...user, emailVerified: true, githubEmails: [{ email, primary: true, verified: true }] });
          expectSignedIn(res);
        });
      }

      it("refuses a callback without state, without the cookie, with a wrong state, or with another browser's cookie", async () => {
        fake.setUser(provider, fakeUser());
        const a = await begin(provider);
        const backA = await authorize(a.location);
        const noState = new URL(backA);
        noState.searchParams.delete("state");
        expectErrorRedirect(await callback(provider, noState, a.cookie), "oauth_state_invalid");

        for (const tamper of ["no-cookie", "wrong-state", "foreign-cookie"] as const) {
          const flow = await begin(provider);
          const back = await authorize(flow.location);
          const other = await begin(provider);
          if (tamper === "no-cookie") expectErrorRedirect(await callback(provider, back, undefined), "oauth_state_invalid");
          if (tamper === "wrong-state") {
            const wrong = new URL(back);
            wrong.searchParams.set("state", other.location.searchParams.get("state")!);
            expectErrorRedirect(await callback(provider, wrong, flow.cookie), "oauth_state_invalid");
          }
          if (tamper === "foreign-cookie") expectErrorRedirect(await callback(provider, back, other.cookie), "oauth_state_invalid");
        }
        // No token request was made for any of them.
        expect(fake.tokenRequests.filter((t) => t.body.code === backA.searchParams.get("code"))).to.deep.equal([]);
      });

      it("a state is good for one callback only: a replay is refused", async () => {
        const { started, back, res } = await dance(provider, fakeUser());
        expectSignedIn(res);
        expectErrorRedirect(await callback(provider, back, started.cookie), "oauth_state_invalid");
      });

      it("a wrong state spends the flow: the right state afterwards is refused too", async () => {
        fake.setUser(provider, fakeUser());
        const flow = await begin(provider);
        const back = await authorize(flow.location);
        const wrong = new URL(back);
        wrong.searchParams.set("state", "x".repeat(43));
        expectErrorRedirect(await callback(provider, wrong, flow.cookie), "oauth_state_invalid");
        expectErrorRedirect(await callback(provider, back, flow.cookie), "oauth_state_invalid");
      });

      it("refuses a state older than 10 minutes", async () => {
        fake.setUser(provider, fakeUser());
        const flow = await begin(provider);
        const back = await authorize(flow.location);
        app.clock.advance(10 * 60_000 + 1_000);
        expectErrorRedirect(await callback(provider, back, flow.cookie), "oauth_state_invalid");
      });

      it("a provider error (the user declined) redirects with provider_error", async () => {
        fake.denyNext(provider);
        fake.setUser(provider, fakeUser());
        const flow = await begin(provider);
        const back = await authorize(flow.location);
        expect(back.searchParams.get("error")).to.equal("access_denied");
        expectErrorRedirect(await callback(provider, back, flow.cookie), "provider_error");
      });

      for (const mode of ["500", "close"] as const) {
        it(`a provider that is down (${mode === "500" ? "answers 500" : "drops the connection"}) redirects with provider_unavailable, no 500`, async () => {
          fake.setUser(provider, fakeUser());
          const flow = await begin(provider);
          const back = await authorize(flow.location);
          fake.fail(mode);
          expectErrorRedirect(await callback(provider, back, flow.cookie), "provider_unavailable");
        });
      }

      it("a profile endpoint that fails after a good token exchange redirects with provider_unavailable", async () => {
        fake.setUser(provider, fakeUser());
        const flow = await begin(provider);
        const back = await authorize(flow.location);
        fake.fail("500", ["profile"]);
        expectErrorRedirect(await callback(provider, back, flow.cookie), "provider_unavailable");
        expect(fake.tokenRequests.find((t) => t.body.code === back.searchParams.get("code"))?.outcome).to.equal("ok");
      });

      if (PKCE[provider]) {
        it("sends the PKCE verifier: a code issued for another challenge is refused by the provider", async () => {
          fake.setUser(provider, fakeUser());
          const flow = await begin(provider);
          const forged = new URL(flow.location);
          forged.searchParams.set("code_challenge", "A".repeat(43));
          const back = await authorize(forged);
          expectErrorRedirect(await callback(provider, back, flow.cookie), "provider_error");
          const token = fake.tokenRequests.find((t) => t.body.code === back.searchParams.get("code"));
          expect(token?.body.code_verifier).to.match(/^[A-Za-z0-9_-]{43}$/);
          expect(token?.outcome).to.equal("invalid_grant");
        });
      }

      it("token mode: the callback hands over a one-time code, exchanged once at POST /api/auth/token", async () => {
        const user = fakeUser();
        const { res } = await dance(provider, user, "?mode=token");
        expect(res.status).to.equal(302);
        const location = new URL(res.headers.location as string);
        expect(`${location.origin}${location.pathname}`).to.equal(`${CLIENT}/`);
        const code = location.searchParams.get("code")!;
        expect(code).to.match(/^[A-Za-z0-9_-]{43}$/);
        // No tokens in the URL, no session cookies.
        expect([...location.searchParams.keys()]).to.deep.equal(["code"]);
        const cookies = cookiesOf(res);
        for (const name of ["accessToken", "refreshToken", "sid"]) expect(cookies[name]).to.equal(undefined);

        const exchanged = await app.request.post(`${O}/token`).send({ code });
        expect(exchanged.status, JSON.stringify(exchanged.body)).to.equal(200);
        expect(exchanged.headers["set-cookie"]).to.equal(undefined);
        const tokens = exchanged.body.data.tokens;
        expect(tokens).to.have.keys(["accessToken", "refreshToken", "accessTokenExpiresAt", "refreshTokenExpiresAt"]);
        expect(exchanged.body.data.user.email).to.equal(user.email);
        expect((await profileOf(tokens.accessToken)).email).to.equal(user.email);
        // The refresh token works like one from /signin.
        await app.request.post(`${A}/refresh-token`).set("X-Auth-Mode", "token").send({ refreshToken: tokens.refreshToken }).expect(200);

        const again = await app.request.post(`${O}/token`).send({ code });
        expect(again.status).to.equal(400);
        expect(again.body).to.include({ success: false, code: "INVALID_CODE" });
      });
    });
  }

  describe("shared rules", () => {
    it("a one-time code dies after 60 seconds, and a made-up one is refused the same way", async () => {
      const { res } = await dance("google", fakeUser(), "?mode=token");
      const code = new URL(res.headers.location as string).searchParams.get("code")!;
      app.clock.advance(61_000);
      const late = await app.request.post(`${O}/token`).send({ code });
      expect(late.status).to.equal(400);
      expect(late.body.code).to.equal("INVALID_CODE");
      const made = await app.request.post(`${O}/token`).send({ code: "A".repeat(43) });
      expect(made.body.code).to.equal("INVALID_CODE");
      const empty = await app.request.post(`${O}/token`).send({});
      expect(empty.status).to.equal(400);
      expect(empty.body.code).to.equal("VALIDATION_FAILED");
    });

    it("token mode with the app's own PKCE challenge (RFC 7636): the code is good only with its verifier, and spent by a wrong one", async () => {
      const verifier = randomBytes(48).toString("base64url");
      const challenge = createHash("sha256").update(verifier).digest("base64url");
      const pkce = `?mode=token&code_challenge=${challenge}&code_challenge_method=S256`;
      const codeOf = async (query: string) => new URL((await dance("google", fakeUser(), query)).res.headers.location as string).searchParams.get("code")!;
      const exchange = (body: Record<string, string>) => app.request.post(`${O}/token`).send(body);

      // Whoever intercepted the redirect has the code but not the verifier: nothing, and the code is gone.
      const stolen = await codeOf(pkce);
      expect((await exchange({ code: stolen })).body.code).to.equal("INVALID_CODE");
      expect((await exchange({ code: stolen, codeVerifier: verifier })).body.code).to.equal("INVALID_CODE");
      const guessed = await codeOf(pkce);
      expect((await exchange({ code: guessed, codeVerifier: randomBytes(48).toString("base64url") })).body.code).to.equal("INVALID_CODE");
      // The app that started the flow gets its session.
      const mine = await exchange({ code: await codeOf(pkce), codeVerifier: verifier });
      expect(mine.status, JSON.stringify(mine.body)).to.equal(200);
      expect(mine.body.data.tokens.accessToken).to.be.a("string");
      // A verifier for a flow started without a challenge is a client mix-up: refused too.
      expect((await exchange({ code: await codeOf("?mode=token"), codeVerifier: verifier })).body.code).to.equal("INVALID_CODE");
    });

    it("a malformed or plain PKCE challenge, or one in cookie mode, is refused at the start with the field named", async () => {
      const challenge = createHash("sha256").update("x".repeat(43)).digest("base64url");
      const cases: Array<[string, string]> = [
        [`?mode=token&code_challenge=short&code_challenge_method=S256`, "code_challenge"],
        [`?mode=token&code_challenge=${challenge}&code_challenge_method=plain`, "code_challenge_method"],
        [`?mode=token&code_challenge=${challenge}`, "code_challenge_method"],
        [`?code_challenge=${challenge}&code_challenge_method=S256`, "code_challenge"],
      ];
      for (const [query, field] of cases) {
        const res = await app.request.get(`${O}/google${query}`);
        expect(res.status, query).to.equal(400);
        expect(res.body.code).to.equal("VALIDATION_FAILED");
        expect(res.body.errors, query).to.have.key(field);
        expect(res.headers["set-cookie"], query).to.equal(undefined);
      }
    });

    it("with OAUTH_REQUIRE_PKCE a token-mode start without the app's challenge is refused naming code_challenge; browsers (cookie mode) are not affected", async () => {
      const strictLog = new CollectingLogger();
      const strict = await startTestApp(backend, { env: { ...fake.env(), OAUTH_REQUIRE_PKCE: "true" }, logger: strictLog });
      try {
        // The operator can see the switch took effect.
        expect(strictLog.entries.find((e) => /OAuth sign-in/.test(e.msg ?? ""))?.obj).to.deep.include({ tokenModeRequiresPkce: true });
        for (const query of ["?mode=token", ""]) {
          const res = await strict.request.get(`${O}/github${query}`).set(query ? {} : { "X-Auth-Mode": "token" });
          expect(res.status, query).to.equal(400);
          expect(res.body.code).to.equal("VALIDATION_FAILED");
          expect(res.body.errors).to.have.key("code_challenge");
          expect(res.headers["set-cookie"], "no flow is started").to.equal(undefined);
        }
        const challenge = createHash("sha256").update(randomBytes(48).toString("base64url")).digest("base64url");
        const started = await strict.request.get(`${O}/github?mode=token&code_challenge=${challenge}&code_challenge_method=S256`);
        expect(started.status, JSON.stringify(started.body)).to.equal(302);
        await strict.request.get(`${O}/github`).expect(302);
      } finally {
        await strict.close();
      }
      // Off by default: the shared app (no OAUTH_REQUIRE_PKCE) still starts token mode without one.
      await begin("github", "?mode=token");
    });

    it("a blocked email is refused with too_many_attempts, and no session is made", async () => {
      const user = fakeUser();
      expectSignedIn((await dance("github", user)).res);
      await app.ctx.container.resolve(PasswordAttempts).lock(user.email!.toLowerCase(), 900);
      expectErrorRedirect((await dance("github", user)).res, "too_many_attempts");
    });

    it("refuses to hand a verified identity to a pending sign-up of the same address (pre-hijacking)", async () => {
      const email = uniqueEmail("squatted");
      await app.request.post(`${A}/signup`).send({ name: "Squatter", email, password: PASSWORD, confirmPassword: PASSWORD }).expect(201);
      expectErrorRedirect((await dance("google", fakeUser({ email, emailVerified: true }))).res, "account_exists_unverified_link");
    });

    it("a provider account that shares no email cannot create an account", async () => {
      expectErrorRedirect((await dance("google", fakeUser({ email: null }))).res, "email_missing");
    });

    it("a GitHub account picks its primary verified address from the emails API", async () => {
      const primary = uniqueEmail("primary");
      const user = fakeUser({
        email: null,
        githubEmails: [
          { email: uniqueEmail("old"), primary: false, verified: true },
          { email: primary, primary: true, verified: true },
        ],
      });
      const profile = await profileOf(expectSignedIn((await dance("github", user)).res));
      expect(profile).to.include({ email: primary, isEmailVerified: true });
    });

    it("logged at start-up which providers are on", () => {
      const line = logger.entries.find((e) => /OAuth sign-in/.test(e.msg ?? ""));
      expect(line?.obj).to.deep.include({ enabled: ["github", "google", "facebook"], disabled: [], tokenModeRequiresPkce: false });
    });

    it("a provider without id, secret or redirect URI answers 404 PROVIDER_NOT_CONFIGURED on both routes", async () => {
      const only = new CollectingLogger();
      const partial = await startTestApp(backend, {
        env: { ...fake.env(undefined, ["github"]), FACEBOOK_APP_ID: "123", FACEBOOK_APP_SECRET: "secret" },
        logger: only,
      });
      try {
        for (const path of [`${O}/google`, `${O}/google/callback?code=x&state=y`, `${O}/facebook`, `${O}/facebook/callback`]) {
          const res = await partial.request.get(path);
          expect(res.status, path).to.equal(404);
          expect(res.body).to.include({ success: false, statusCode: 404, code: "PROVIDER_NOT_CONFIGURED" });
        }
        await partial.request.get(`${O}/github`).expect(302);
        const line = only.entries.find((e) => /OAuth sign-in/.test(e.msg ?? ""));
        expect(line?.obj).to.deep.include({ enabled: ["github"], disabled: ["google", "facebook"] });
      } finally {
        await partial.close();
      }
    });

    it("a provider that never answers is given up on in bounded time: redirect with provider_unavailable", async () => {
      const providers = testConfig(fake.env()).oauth;
      const quick = await startTestApp(backend, {
        env: fake.env(),
        overrides: new Map<symbol, unknown>([[OAUTH_SETTINGS, { clientUrl: CLIENT, providers, providerTimeoutMs: 300 } satisfies OAuthSettings]]),
      });
      try {
        for (const endpoint of ["token", "profile"] as const) {
          fake.fail(null);
          fake.setUser("github", fakeUser());
          const flow = await begin("github", "", quick);
          const back = await authorize(flow.location);
          fake.fail("hang", [endpoint]);
          const started = Date.now();
          expectErrorRedirect(await callback("github", back, flow.cookie, quick), "provider_unavailable");
          expect(Date.now() - started, endpoint).to.be.below(2_000);
        }
      } finally {
        await quick.close();
      }
    });

    it("a store or database that is down, or a bug, still ends in a redirect with an error, never a 500", async () => {
      const down = async () => {
        throw new ServiceUnavailableError("sessionStore");
      };
      const noFlows = await startTestApp(backend, { env: fake.env(), overrides: new Map<symbol, unknown>([[OAUTH_FLOW_STORE, { put: down, take: down }]]) });
      try {
        expectErrorRedirect(await noFlows.request.get(`${O}/github`), "service_unavailable");
      } finally {
        await noFlows.close();
      }

      for (const [failure, code] of [
        [new ServiceUnavailableError("database"), "service_unavailable"],
        [new Error("a bug"), "server_error"],
      ] as const) {
        const broken = { findByProvider: async () => Promise.reject(failure), listByUser: down, create: down, deleteForUser: down };
        const target = await startTestApp(backend, { env: fake.env(), overrides: new Map<symbol, unknown>([[TOKENS.IdentityRepository, broken]]) });
        try {
          fake.setUser("google", fakeUser());
          const flow = await begin("google", "", target);
          const back = await authorize(flow.location);
          expectErrorRedirect(await callback("google", back, flow.cookie, target), code);
        } finally {
          await target.close();
        }
      }
    });

    if (backend === "real") {
      it("the callback may land on another instance than the start (state in Redis)", async () => {
        const other = await startTestApp(backend, { env: fake.env(), redisPrefix });
        try {
          fake.setUser("google", fakeUser());
          const flow = await begin("google");
          const back = await authorize(flow.location);
          expectSignedIn(await callback("google", back, flow.cookie, other));
          // ...and it is spent for every instance.
          expectErrorRedirect(await callback("google", back, flow.cookie, app), "oauth_state_invalid");
        } finally {
          await other.close();
        }
      });
    }
  });
}
