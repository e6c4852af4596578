import { expect } from "chai";
import {
  PASSWORD,
  TEST_ORIGIN,
  codeFor,
  cookiesOf,
  expectError,
  flushMail,
  registerVerified,
  signInTokens,
  uniqueEmail,
  useTestApp,
  type Backend,
} from "../support/http-harness.js";

const A = "/api/v1/auth";

/** Every route of the foundation issue, its success and each of its error cases. */
export function authRoutesSuite(backend: Backend): void {
  const app = useTestApp(backend);

  describe("POST /signup", () => {
    it("creates an unverified account, mails a 6-digit code and answers 201", async () => {
      const email = uniqueEmail();
      const res = await app.request.post(`${A}/signup`).send({ name: "Ada", email, password: PASSWORD, confirmPassword: PASSWORD });
      expect(res.status).to.equal(201);
      expect(res.body).to.include({ success: true, statusCode: 201 });
      expect(await codeFor(app.mailer, email)).to.match(/^\d{6}$/);
      const user = await app.ctx.users.findByEmail(email);
      expect(user?.isEmailVerified).to.equal(false);
    });

    it("answers a taken address exactly like a new one, and mails the owner a notice instead of a code", async () => {
      const taken = await registerVerified(app);
      const fresh = uniqueEmail();
      const send = (email: string) =>
        app.request.post(`${A}/signup`).send({ name: "Eve", email, password: "another password", confirmPassword: "another password" });
      const [a, b] = [await send(taken), await send(fresh)];
      expect(a.status).to.equal(b.status);
      expect({ ...a.body, data: null }).to.deep.equal({ ...b.body, data: null });
      await flushMail();
      expect(app.mailer.last(taken, "signup-notice")).to.exist;
      // The owner's password still works.
      await app.request.post(`${A}/signin`).send({ email: taken, password: PASSWORD }).expect(200);
    });

    it("a re-registration of a pending address kills the code already mailed (no pre-hijacking)", async () => {
      const email = uniqueEmail("pending");
      await app.request.post(`${A}/signup`).send({ name: "Victim", email, password: PASSWORD, confirmPassword: PASSWORD }).expect(201);
      const victimCode = await codeFor(app.mailer, email);
      const attackerPassword = "attacker chosen pass";
      await app.request
        .post(`${A}/signup`)
        .send({ name: "Attacker", email, password: attackerPassword, confirmPassword: attackerPassword })
        .expect(201);
      expectError(await app.request.post(`${A}/verify-user`).send({ email, otpCode: victimCode }), 400, "INVALID_CODE");
      expect((await app.request.post(`${A}/signin`).send({ email, password: attackerPassword })).status).to.equal(403);
    });

    it("treats emails case-insensitively", async () => {
      const email = await registerVerified(app);
      await app.request.post(`${A}/signin`).send({ email: email.toUpperCase(), password: PASSWORD }).expect(200);
    });

    it("names every invalid field in a 400", async () => {
      const res = await app.request.post(`${A}/signup`).send({ name: "", email: "nope", password: "x", confirmPassword: "y" });
      expectError(res, 400, "VALIDATION_FAILED");
      expect(res.body.errors).to.have.keys("name", "email", "confirmPassword");
    });

    it("rejects a weak password naming the password field", async () => {
      const res = await app.request.post(`${A}/signup`).send({ name: "A", email: uniqueEmail(), password: "short", confirmPassword: "short" });
      expectError(res, 400, "VALIDATION_FAILED");
      expect(res.body.errors).to.have.key("password");
    });

    it("rejects a mismatched confirmation naming confirmPassword", async () => {
      const res = await app.request.post(`${A}/signup`).send({ name: "A", email: uniqueEmail(), password: PASSWORD, confirmPassword: PASSWORD + "!" });
      expectError(res, 400, "VALIDATION_FAILED");
      expect(res.body.errors).to.have.key("confirmPassword");
    });
  });

  describe("POST /verify-user and /resend-verification", () => {
    it("verifies with the mailed code, once", async () => {
      const email = uniqueEmail();
      await app.request.post(`${A}/signup`).send({ name: "V", email, password: PASSWORD, confirmPassword: PASSWORD }).expect(201);
      const otpCode = await codeFor(app.mailer, email);
      const ok = await app.request.post(`${A}/verify-user`).send({ email, otpCode });
      expect(ok.status).to.equal(200);
      expect(ok.body.data.user).to.include({ email, isEmailVerified: true });
      expect(ok.body.data.user).to.not.have.any.keys("passwordHash", "password");
      expectError(await app.request.post(`${A}/verify-user`).send({ email, otpCode }), 400, "INVALID_CODE");
    });

    it("answers a wrong code and an unknown email with the same 400 INVALID_CODE", async () => {
      const email = uniqueEmail();
      await app.request.post(`${A}/signup`).send({ name: "V", email, password: PASSWORD, confirmPassword: PASSWORD }).expect(201);
      const good = await codeFor(app.mailer, email);
      const wrong = good === "000000" ? "000001" : "000000";
      const a = await app.request.post(`${A}/verify-user`).send({ email, otpCode: wrong });
      const b = await app.request.post(`${A}/verify-user`).send({ email: uniqueEmail(), otpCode: wrong });
      expectError(a, 400, "INVALID_CODE");
      expect(a.body).to.deep.equal(b.body);
    });

    it("kills a code after 5 wrong guesses", async () => {
      const email = uniqueEmail();
      await app.request.post(`${A}/signup`).send({ name: "V", email, password: PASSWORD, confirmPassword: PASSWORD }).expect(201);
      const good = await codeFor(app.mailer, email);
      const wrong = good === "111111" ? "222222" : "111111";
      for (let i = 0; i < 5; i++) await app.request.post(`${A}/verify-user`).send({ email, otpCode: wrong }).expect(400);
      expectError(await app.request.post(`${A}/verify-user`).send({ email, otpCode: good }), 400, "INVALID_CODE");
    });

    it("rejects a malformed code with a field error", async () => {
      const res = await app.request.post(`${A}/verify-user`).send({ email: uniqueEmail(), otpCode: "12ab" });
      expectError(res, 400, "VALIDATION_FAILED");
      expect(res.body.errors).to.have.key("otpCode");
    });

    it("resend answers 200 for every address, and mails only an unverified owner outside the cooldown", async () => {
      const email = uniqueEmail();
      await app.request.post(`${A}/signup`).send({ name: "R", email, password: PASSWORD, confirmPassword: PASSWORD }).expect(201);
      await flushMail();
      const before = app.mailer.sent.length;
      const known = await app.request.post(`${A}/resend-verification`).send({ email });
      const unknown = await app.request.post(`${A}/resend-verification`).send({ email: uniqueEmail() });
      expect(known.status).to.equal(200);
      expect(known.body).to.deep.equal(unknown.body);
      await flushMail();
      expect(app.mailer.sent.length, "inside the 60 s cooldown no mail goes out").to.equal(before);
      app.clock.advance(61_000);
      await app.request.post(`${A}/resend-verification`).send({ email }).expect(200);
      const fresh = await codeFor(app.mailer, email);
      await app.request.post(`${A}/verify-user`).send({ email, otpCode: fresh }).expect(200);
    });
  });

  describe("POST /signin", () => {
    it("sets httpOnly cookies with the contract's names and paths", async () => {
      const email = await registerVerified(app);
      const res = await app.request.post(`${A}/signin`).send({ email, password: PASSWORD }).expect(200);
      expect(res.body.data.user).to.have.keys("id", "name", "email", "role", "avatar", "isEmailVerified", "lastLoginAt", "createdAt");
      expect(res.body.data).to.not.have.key("tokens");
      const c = cookiesOf(res);
      expect(c.accessToken?.attrs).to.include({ path: "/", httponly: true, samesite: "lax" });
      expect(c.refreshToken?.attrs).to.include({ path: "/api/v1/auth", httponly: true });
      expect(c.sid?.attrs).to.include({ path: "/", httponly: true });
      expect(c.accessToken!.value.split(".")).to.have.length(3);
    });

    it("returns tokens in the body and sets no cookie with X-Auth-Mode: token", async () => {
      const email = await registerVerified(app);
      const res = await app.request.post(`${A}/signin`).set("X-Auth-Mode", "token").send({ email, password: PASSWORD }).expect(200);
      expect(res.headers["set-cookie"]).to.equal(undefined);
      expect(res.body.data.tokens).to.have.keys("accessToken", "refreshToken", "accessTokenExpiresAt", "refreshTokenExpiresAt");
      const payload = JSON.parse(Buffer.from(res.body.data.tokens.accessToken.split(".")[1], "base64url").toString());
      expect(payload).to.include.keys("sub", "sid", "role", "iss", "aud", "iat", "exp");
      expect(payload.exp - payload.iat).to.equal(15 * 60);
    });

    it("tells every cache not to store tokens or personal data (Cache-Control: no-store)", async () => {
      const email = await registerVerified(app);
      const signIn = await app.request.post(`${A}/signin`).set("X-Auth-Mode", "token").send({ email, password: PASSWORD }).expect(200);
      expect(signIn.headers["cache-control"]).to.equal("no-store");
      const profile = await app.request.get(`${A}/profile`).set("Authorization", `Bearer ${signIn.body.data.tokens.accessToken}`).expect(200);
      expect(profile.headers["cache-control"]).to.equal("no-store");
      const refreshed = await app.request.post(`${A}/refresh-token`).set("X-Auth-Mode", "token").send({ refreshToken: signIn.body.data.tokens.refreshToken }).expect(200);
      expect(refreshed.headers["cache-control"]).to.equal("no-store");
      expect((await app.request.post(`${A}/signin`).send({ email, password: "wrong password!!" })).headers["cache-control"]).to.equal("no-store");
      expect((await app.request.get("/api/docs").expect(200)).headers["cache-control"], "the API reference may be revalidated").to.equal("no-cache");
    });

    it("answers an unknown email and a wrong password with the same 401", async () => {
      const email = await registerVerified(app);
      const wrong = await app.request.post(`${A}/signin`).send({ email, password: "wrong password" });
      const unknown = await app.request.post(`${A}/signin`).send({ email: uniqueEmail(), password: "wrong password" });
      expectError(wrong, 401, "INVALID_CREDENTIALS");
      expect(wrong.body).to.deep.equal(unknown.body);
    });

    it("reveals an unverified account only after the right password (403)", async () => {
      const email = uniqueEmail();
      await app.request.post(`${A}/signup`).send({ name: "U", email, password: PASSWORD, confirmPassword: PASSWORD }).expect(201);
      expectError(await app.request.post(`${A}/signin`).send({ email, password: "wrong password" }), 401, "INVALID_CREDENTIALS");
      expectError(await app.request.post(`${A}/signin`).send({ email, password: PASSWORD }), 403, "EMAIL_NOT_VERIFIED");
    });

    it("names missing fields", async () => {
      const res = await app.request.post(`${A}/signin`).send({});
      expectError(res, 400, "VALIDATION_FAILED");
      expect(res.body.errors).to.have.keys("email", "password");
    });
  });

  describe("GET /profile", () => {
    it("works with the cookie and with a bearer token, never showing a hash", async () => {
      const email = await registerVerified(app);
      const agent = app.http();
      await agent.post(`${A}/signin`).send({ email, password: PASSWORD }).expect(200);
      const viaCookie = await agent.get(`${A}/profile`).expect(200);
      expect(viaCookie.body.data.user.email).to.equal(email);
      expect(JSON.stringify(viaCookie.body)).to.not.match(/\$2[aby]\$|passwordHash/);
      const t = await signInTokens(app, email);
      const viaBearer = await app.request.get(`${A}/profile`).set("Authorization", `Bearer ${t.accessToken}`).expect(200);
      expect(viaBearer.body.data.user.id).to.equal(t.userId);
    });

    it("refuses a request without a token, and with a forged one", async () => {
      expectError(await app.request.get(`${A}/profile`), 401, "UNAUTHENTICATED");
      const res = await app.request.get(`${A}/profile`).set("Authorization", "Bearer abc.def.ghi");
      expectError(res, 401, "INVALID_TOKEN");
    });
  });

  describe("sessions", () => {
    it("lists the caller's sessions and marks the current one", async () => {
      const email = await registerVerified(app);
      const first = await signInTokens(app, email, PASSWORD, "phone");
      const second = await signInTokens(app, email, PASSWORD, "laptop");
      const other = await signInTokens(app, await registerVerified(app));
      const res = await app.request.get(`${A}/sessions`).set("Authorization", `Bearer ${second.accessToken}`).expect(200);
      const sessions = res.body.data.sessions as Array<Record<string, unknown>>;
      expect(sessions).to.have.length(2);
      expect(sessions.map((s) => s.userAgent)).to.have.members(["phone", "laptop"]);
      expect(sessions.find((s) => s.current)?.userAgent).to.equal("laptop");
      expect(sessions[0]).to.have.keys("id", "userAgent", "ip", "createdAt", "lastUsedAt", "expiresAt", "current");
      void first;
      void other;
    });

    it("DELETE /sessions revokes every other session and keeps the current one", async () => {
      const email = await registerVerified(app);
      const keep = await signInTokens(app, email);
      const drop = await signInTokens(app, email);
      const res = await app.request.delete(`${A}/sessions`).set("Authorization", `Bearer ${keep.accessToken}`).expect(200);
      expect(res.body.data.revoked).to.equal(1);
      await app.request.get(`${A}/profile`).set("Authorization", `Bearer ${keep.accessToken}`).expect(200);
      expectError(await app.request.get(`${A}/profile`).set("Authorization", `Bearer ${drop.accessToken}`), 401, "SESSION_REVOKED");
    });

    it("DELETE /sessions/:id revokes one session at once; another user's id answers 404 like an unknown one", async () => {
      const email = await registerVerified(app);
      const me = await signInTokens(app, email);
      const mine = await signInTokens(app, email);
      const stranger = await signInTokens(app, await registerVerified(app));
      const list = await app.request.get(`${A}/sessions`).set("Authorization", `Bearer ${me.accessToken}`).expect(200);
      const target = list.body.data.sessions.find((s: { current: boolean }) => !s.current).id;
      const strangerList = await app.request.get(`${A}/sessions`).set("Authorization", `Bearer ${stranger.accessToken}`);
      const strangerId = strangerList.body.data.sessions[0].id;

      const foreign = await app.request.delete(`${A}/sessions/${strangerId}`).set("Authorization", `Bearer ${me.accessToken}`);
      const unknown = await app.request.delete(`${A}/sessions/00000000-0000-4000-8000-000000000000`).set("Authorization", `Bearer ${me.accessToken}`);
      expectError(foreign, 404, "SESSION_NOT_FOUND");
      expect(foreign.body).to.deep.equal(unknown.body);
      await app.request.get(`${A}/profile`).set("Authorization", `Bearer ${stranger.accessToken}`).expect(200);

      await app.request.delete(`${A}/sessions/${target}`).set("Authorization", `Bearer ${me.accessToken}`).expect(200);
      expectError(await app.request.get(`${A}/profile`).set("Authorization", `Bearer ${mine.accessToken}`), 401, "SESSION_REVOKED");
    });
  });

  describe("POST /refresh-token", () => {
    it("rotates the pair in cookie mode", async () => {
      const email = await registerVerified(app);
      const agent = app.http();
      const signin = await agent.post(`${A}/signin`).send({ email, password: PASSWORD }).expect(200);
      const before = cookiesOf(signin).refreshToken!.value;
      const res = await agent.post(`${A}/refresh-token`).expect(200);
      const after = cookiesOf(res);
      expect(after.refreshToken!.value).to.not.equal(before);
      expect(after.refreshToken!.attrs.path).to.equal("/api/v1/auth");
      await agent.get(`${A}/profile`).expect(200);
    });

    it("rotates in token mode with the token in the body", async () => {
      const t = await signInTokens(app, await registerVerified(app));
      const res = await app.request.post(`${A}/refresh-token`).set("X-Auth-Mode", "token").send({ refreshToken: t.refreshToken }).expect(200);
      expect(res.body.data.tokens.refreshToken).to.be.a("string").and.not.equal(t.refreshToken);
      await app.request.get(`${A}/profile`).set("Authorization", `Bearer ${res.body.data.tokens.accessToken}`).expect(200);
    });

    it("gives 20 parallel refreshes with one token the same new pair (no fork)", async () => {
      const t = await signInTokens(app, await registerVerified(app));
      const results = await Promise.all(
        Array.from({ length: 20 }, () => app.request.post(`${A}/refresh-token`).set("X-Auth-Mode", "token").send({ refreshToken: t.refreshToken })),
      );
      expect(results.map((r) => r.status)).to.deep.equal(Array(20).fill(200));
      const successors = new Set(results.map((r) => r.body.data.tokens.refreshToken));
      expect(successors.size).to.equal(1);
      const [next] = [...successors];
      await app.request.post(`${A}/refresh-token`).set("X-Auth-Mode", "token").send({ refreshToken: next }).expect(200);
    });

    it("treats a rotated-out token after the grace window as theft: 401 and the session is dead", async () => {
      const email = await registerVerified(app);
      const t = await signInTokens(app, email);
      const b = await app.request.post(`${A}/refresh-token`).set("X-Auth-Mode", "token").send({ refreshToken: t.refreshToken }).expect(200);
      const c = await app.request.post(`${A}/refresh-token`).set("X-Auth-Mode", "token").send({ refreshToken: b.body.data.tokens.refreshToken }).expect(200);
      app.clock.advance(11_000);
      const reuse = await app.request.post(`${A}/refresh-token`).set("X-Auth-Mode", "token").send({ refreshToken: t.refreshToken });
      expectError(reuse, 401, "SESSION_REVOKED");
      const cTokens = c.body.data.tokens;
      expect((await app.request.post(`${A}/refresh-token`).set("X-Auth-Mode", "token").send({ refreshToken: cTokens.refreshToken })).status).to.equal(401);
      expect((await app.request.get(`${A}/profile`).set("Authorization", `Bearer ${cTokens.accessToken}`)).status).to.equal(401);
      await flushMail();
      expect(app.mailer.last(email, "session-reuse"), "the owner is told").to.exist;
    });

    it("answers a missing or garbage token with 401 INVALID_TOKEN", async () => {
      expectError(await app.request.post(`${A}/refresh-token`), 401, "INVALID_TOKEN");
      expectError(await app.request.post(`${A}/refresh-token`).send({ refreshToken: "garbage" }), 401, "INVALID_TOKEN");
    });
  });

  describe("POST /logout", () => {
    it("revokes the session, clears the cookies, and is idempotent", async () => {
      const email = await registerVerified(app);
      const agent = app.http();
      await agent.post(`${A}/signin`).send({ email, password: PASSWORD }).expect(200);
      const access = (await agent.get(`${A}/profile`)).status;
      expect(access).to.equal(200);
      const out = await agent.post(`${A}/logout`).expect(200);
      const cleared = cookiesOf(out);
      expect(cleared.accessToken?.value).to.equal("");
      expect(cleared.refreshToken?.attrs.path).to.equal("/api/v1/auth");
      await agent.post(`${A}/logout`).expect(200);
      await app.request.post(`${A}/logout`).expect(200);
    });

    it("a revoked bearer token is refused on the next request", async () => {
      const t = await signInTokens(app, await registerVerified(app));
      await app.request.post(`${A}/logout`).set("Authorization", `Bearer ${t.accessToken}`).expect(200);
      expectError(await app.request.get(`${A}/profile`).set("Authorization", `Bearer ${t.accessToken}`), 401, "SESSION_REVOKED");
      expect((await app.request.post(`${A}/refresh-token`).send({ refreshToken: t.refreshToken })).status).to.equal(401);
    });

    it("ends the session with only the refresh token (expired access token)", async () => {
      const t = await signInTokens(app, await registerVerified(app));
      app.clock.advance(16 * 60_000);
      await app.request.post(`${A}/logout`).send({ refreshToken: t.refreshToken }).expect(200);
      expect((await app.request.post(`${A}/refresh-token`).send({ refreshToken: t.refreshToken })).status).to.equal(401);
    });
  });

  describe("bad input and the edge", () => {
    it("malformed JSON → 400 MALFORMED_JSON", async () => {
      const res = await app.request.post(`${A}/signin`).set("Content-Type", "application/json").send('{"email":');
      expectError(res, 400, "MALFORMED_JSON");
    });

    it("a non-object JSON body → 400, never 500", async () => {
      for (const body of ["[]", '"text"', "42", "null"]) {
        const res = await app.request.post(`${A}/signin`).set("Content-Type", "application/json").send(body);
        expect(res.status, body).to.equal(400);
      }
    });

    it("wrong content type → 415", async () => {
      const res = await app.request.post(`${A}/signin`).set("Content-Type", "text/plain").send("email=a");
      expectError(res, 415, "UNSUPPORTED_MEDIA_TYPE");
    });

    it("a body over 100 kB → 413", async () => {
      const res = await app.request.post(`${A}/signup`).set("Content-Type", "application/json").send(JSON.stringify({ name: "x".repeat(120_000) }));
      expectError(res, 413, "PAYLOAD_TOO_LARGE");
    });

    it("unknown route → 404 and wrong method → 405 with Allow", async () => {
      expectError(await app.request.get("/api/v1/nope"), 404, "NOT_FOUND");
      const res = await app.request.get(`${A}/signin`);
      expectError(res, 405, "METHOD_NOT_ALLOWED");
      expect(res.headers.allow).to.contain("POST");
    });

    it("refuses a cookie-authenticated unsafe request from a foreign origin, lets bearer and the allowed origin through", async () => {
      const email = await registerVerified(app);
      const agent = app.http();
      await agent.post(`${A}/signin`).set("Origin", TEST_ORIGIN).send({ email, password: PASSWORD }).expect(200);
      expectError(await agent.delete(`${A}/sessions`).set("Origin", "https://evil.example"), 403, "CSRF_REJECTED");
      expectError(await agent.delete(`${A}/sessions`).set("Sec-Fetch-Site", "cross-site"), 403, "CSRF_REJECTED");
      await agent.delete(`${A}/sessions`).set("Origin", TEST_ORIGIN).expect(200);
      const t = await signInTokens(app, email);
      await app.request.delete(`${A}/sessions`).set("Origin", "https://evil.example").set("Authorization", `Bearer ${t.accessToken}`).expect(200);
    });

    it("CORS allows the configured origin with credentials only", async () => {
      const ok = await app.request.options(`${A}/signin`).set("Origin", TEST_ORIGIN).set("Access-Control-Request-Method", "POST");
      expect(ok.headers["access-control-allow-origin"]).to.equal(TEST_ORIGIN);
      expect(ok.headers["access-control-allow-credentials"]).to.equal("true");
      const evil = await app.request.options(`${A}/signin`).set("Origin", "https://evil.example").set("Access-Control-Request-Method", "POST");
      expect(evil.headers["access-control-allow-origin"]).to.not.equal("https://evil.example");
    });
  });

  describe("health", () => {
    it("liveness answers 200 with status ok", async () => {
      const res = await app.request.get("/api/v1/health").expect(200);
      expect(res.body.data.status).to.equal("ok");
      expect(res.body.data.uptime).to.be.a("number");
    });

    it("readiness reports each dependency as up", async () => {
      const res = await app.request.get("/api/v1/health/detailed").expect(200);
      expect(res.body.data.dependencies.database.status).to.equal("up");
      expect(res.body.data.dependencies.sessionStore.status).to.equal("up");
      expect(res.body.data).to.include.keys("version", "memory");
    });
  });
}
