import { expect } from "chai";
import type { InMemoryMailer } from "../../src/adapters/mail/in-memory.mailer.js";
import type { AuditLog } from "../../src/application/ports/audit-log.port.js";
import { TOKENS } from "../../src/application/tokens.js";
import { createLogger } from "../../src/infrastructure/logger.js";
import { FakeAvatarStorage } from "../support/fake-avatar.storage.js";
import {
  PASSWORD,
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
const MIN = 60_000;
const DAY = 24 * 3600_000;

/** Audit entries are written in the background: polls `read` until `done` holds (or 3 s pass). */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 10));
  }
}

const seen = new WeakMap<InMemoryMailer, Map<string, number>>();

/** The token in the newest deletion mail to `email` not returned before (mail goes out in the background). */
async function deletionTokenFrom(mailer: InMemoryMailer, email: string): Promise<string> {
  const counts = seen.get(mailer) ?? new Map<string, number>();
  seen.set(mailer, counts);
  const deadline = Date.now() + 3000;
  for (;;) {
    await flushMail();
    const mails = mailer.sent.filter((m) => m.to === email && m.tag === "account-delete");
    if (mails.length > (counts.get(email) ?? 0)) {
      counts.set(email, mails.length);
      const token = /\/account\/delete\?token=([A-Za-z0-9_-]+)/.exec(mails.at(-1)!.text)?.[1];
      if (!token) throw new Error(`no link in the deletion mail: ${mails.at(-1)!.text}`);
      return token;
    }
    if (Date.now() > deadline) throw new Error(`no new deletion mail to ${email}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Every route of the account lifecycle, its success and its error cases. */
export function accountRoutesSuite(backend: Backend): void {
  const avatars = new FakeAvatarStorage();
  const app = useTestApp(backend, { overrides: new Map([[TOKENS.AvatarStorage, avatars]]) });

  const bearer = (token: string) => `Bearer ${token}`;

  async function requestToken(email: string, accessToken: string): Promise<string> {
    await app.request.post(`${A}/account/request-delete`).set("Authorization", bearer(accessToken)).send({ password: PASSWORD }).expect(200);
    return deletionTokenFrom(app.mailer, email);
  }

  /** A registered account, signed in, with a deletion token in hand. */
  async function accountWithToken(): Promise<{ email: string; accessToken: string; refreshToken: string; userId: string; token: string }> {
    const email = await registerVerified(app);
    const session = await signInTokens(app, email);
    return { email, ...session, token: await requestToken(email, session.accessToken) };
  }

  function deleteAccount(accessToken: string, body: object | undefined, query = "") {
    const req = app.request.delete(`${A}/account/delete${query}`).set("Authorization", bearer(accessToken));
    return body === undefined ? req : req.send(body);
  }

  describe("POST /account/request-delete", () => {
    it("checks the password and mails a link to CLIENT_URL with a single-use token valid 15 minutes", async () => {
      const email = await registerVerified(app);
      const { accessToken } = await signInTokens(app, email);
      const res = await app.request.post(`${A}/account/request-delete`).set("Authorization", bearer(accessToken)).send({ password: PASSWORD });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ success: true, statusCode: 200 });
      expect(Date.parse(res.body.data.expiresAt)).to.equal(app.clock.now().getTime() + 15 * MIN);
      const token = await deletionTokenFrom(app.mailer, email);
      expect(app.mailer.last(email, "account-delete")!.text).to.include(`http://localhost:3000/account/delete?token=${token}`);
      expect(JSON.stringify(res.body)).to.not.include(token);
    });

    it("answers a wrong password with 401 INVALID_CREDENTIALS, and the failures lead to 429 like sign-in", async () => {
      const email = await registerVerified(app);
      const { accessToken } = await signInTokens(app, email);
      for (let i = 0; i < 5; i++) {
        const res = await app.request.post(`${A}/account/request-delete`).set("Authorization", bearer(accessToken)).send({ password: "not the password" });
        expectError(res, 401, "INVALID_CREDENTIALS");
      }
      const blocked = await app.request.post(`${A}/account/request-delete`).set("Authorization", bearer(accessToken)).send({ password: PASSWORD });
      expectError(blocked, 429, "TOO_MANY_ATTEMPTS");
      expect(Number(blocked.headers["retry-after"])).to.be.greaterThan(0);
      expectError(await app.request.post(`${A}/signin`).send({ email, password: PASSWORD }), 429, "TOO_MANY_ATTEMPTS");
      await flushMail();
      expect(app.mailer.last(email, "account-delete")).to.equal(undefined);
    });

    it("needs a session (401) and a password (400)", async () => {
      expectError(await app.request.post(`${A}/account/request-delete`).send({ password: PASSWORD }), 401, "UNAUTHENTICATED");
      const { accessToken } = await signInTokens(app, await registerVerified(app));
      const res = await app.request.post(`${A}/account/request-delete`).set("Authorization", bearer(accessToken)).send({});
      expectError(res, 400, "VALIDATION_FAILED");
      expect(res.body.errors).to.have.key("password");
    });
  });

  describe("DELETE /account/delete (soft)", () => {
    it("deactivates the account, clears the cookies, and refuses the old access token at once", async () => {
      const email = await registerVerified(app);
      const browser = app.http();
      await browser.post(`${A}/signin`).send({ email, password: PASSWORD }).expect(200);
      const other = await signInTokens(app, email, PASSWORD, "other device");
      await browser.post(`${A}/account/request-delete`).send({ password: PASSWORD }).expect(200);
      const token = await deletionTokenFrom(app.mailer, email);

      const res = await browser.delete(`${A}/account/delete`).send({ token });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.data.type).to.equal("soft");
      expect(Date.parse(res.body.data.purgeAfter)).to.equal(app.clock.now().getTime() + 30 * DAY);
      const cookies = cookiesOf(res);
      for (const name of ["accessToken", "refreshToken", "sid"]) {
        expect(cookies[name]?.value, name).to.equal("");
        expect(new Date(String(cookies[name]?.attrs.expires)).getTime(), name).to.equal(0);
      }

      // The other device's access token, still unexpired, is refused on its next request.
      expectError(await app.request.get(`${A}/profile`).set("Authorization", bearer(other.accessToken)), 401, "SESSION_REVOKED");
      expectError(await app.request.post(`${A}/refresh-token`).send({ refreshToken: other.refreshToken }), 401, "INVALID_TOKEN");
      const user = await app.ctx.users.findByEmail(email);
      expect(user?.deactivatedAt).to.be.instanceOf(Date);
      await flushMail();
      expect(app.mailer.last(email, "account-deactivated")).to.exist;
    });

    it("refuses a wrong token, a missing token and a bad type, and leaves the account alone", async () => {
      const { email, accessToken, token } = await accountWithToken();
      expectError(await deleteAccount(accessToken, { token: token.slice(0, -2) + "xx" }), 401, "INVALID_TOKEN");
      expectError(await deleteAccount(accessToken, { token: "short" }), 401, "INVALID_TOKEN");
      expectError(await deleteAccount(accessToken, undefined), 401, "INVALID_TOKEN");
      const bad = await deleteAccount(accessToken, { token, type: "obliterate" });
      expectError(bad, 400, "VALIDATION_FAILED");
      expect(bad.body.errors).to.have.key("type");
      expect((await app.ctx.users.findByEmail(email))?.deactivatedAt).to.equal(null);
      await app.request.get(`${A}/profile`).set("Authorization", bearer(accessToken)).expect(200);
    });

    it("refuses an expired token (15 minutes)", async () => {
      const { email, token } = await accountWithToken();
      app.clock.advance(15 * MIN);
      const { accessToken } = await signInTokens(app, email);
      expectError(await deleteAccount(accessToken, { token }), 401, "INVALID_TOKEN");
      expect((await app.ctx.users.findByEmail(email))?.deactivatedAt).to.equal(null);
    });

    it("needs a session", async () => {
      expectError(await app.request.delete(`${A}/account/delete`).send({ token: "x".repeat(43) }), 401, "UNAUTHENTICATED");
    });
  });

  describe("after a soft delete", () => {
    it("sign-in gives a session that can only reactivate; reactivating hands out a normal one (cookies)", async () => {
      const { email, accessToken, token } = await accountWithToken();
      await deleteAccount(accessToken, { token }).expect(200);

      const browser = app.http();
      const signin = await browser.post(`${A}/signin`).send({ email, password: PASSWORD });
      expect(signin.status).to.equal(200);
      const restrictedAccess = cookiesOf(signin).accessToken!.value;
      expectError(await browser.get(`${A}/profile`), 403, "ACCOUNT_DEACTIVATED");
      expectError(await browser.get(`${A}/sessions`), 403, "ACCOUNT_DEACTIVATED");
      expectError(await browser.post(`${A}/account/request-delete`).send({ password: PASSWORD }), 403, "ACCOUNT_DEACTIVATED");

      const res = await browser.put(`${A}/account/reactivate`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.data.user).to.include({ email });
      expect(res.body.data).to.not.have.key("tokens");
      const cookies = cookiesOf(res);
      expect(cookies.accessToken?.value).to.be.a("string").and.not.equal(restrictedAccess).and.not.equal("");
      expect(cookies.refreshToken?.attrs.httponly).to.equal(true);

      await browser.get(`${A}/profile`).expect(200);
      // The restricted session is over.
      expectError(await app.request.get(`${A}/profile`).set("Cookie", `accessToken=${restrictedAccess}`), 401, "SESSION_REVOKED");
      expect((await app.ctx.users.findByEmail(email))?.deactivatedAt).to.equal(null);
    });

    it("reactivation in token mode returns the new tokens in the body", async () => {
      const { email, accessToken, token } = await accountWithToken();
      await deleteAccount(accessToken, { token }).expect(200);
      const restricted = await signInTokens(app, email);
      const res = await app.request.put(`${A}/account/reactivate`).set("X-Auth-Mode", "token").set("Authorization", bearer(restricted.accessToken));
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.headers["set-cookie"]).to.equal(undefined);
      const tokens = res.body.data.tokens;
      expect(tokens).to.have.keys("accessToken", "refreshToken", "accessTokenExpiresAt", "refreshTokenExpiresAt");
      const profile = await app.request.get(`${A}/profile`).set("Authorization", bearer(tokens.accessToken));
      expect(profile.status).to.equal(200);
      expect(profile.body.data.user.email).to.equal(email);
      await app.request.post(`${A}/refresh-token`).send({ refreshToken: tokens.refreshToken }).expect(200);
      expectError(await app.request.get(`${A}/profile`).set("Authorization", bearer(restricted.accessToken)), 401, "SESSION_REVOKED");
    });

    it("logout works with the restricted session", async () => {
      const { email, accessToken, token } = await accountWithToken();
      await deleteAccount(accessToken, { token }).expect(200);
      const restricted = await signInTokens(app, email);
      await app.request.post(`${A}/logout`).set("Authorization", bearer(restricted.accessToken)).send({}).expect(200);
      expectError(await app.request.put(`${A}/account/reactivate`).set("Authorization", bearer(restricted.accessToken)), 401, "SESSION_REVOKED");
    });

    it("a used token is refused: soft delete, reactivate, then the same token again", async () => {
      const { email, accessToken, token } = await accountWithToken();
      await deleteAccount(accessToken, { token }).expect(200);
      const restricted = await signInTokens(app, email);
      const reactivated = await app.request.put(`${A}/account/reactivate`).set("X-Auth-Mode", "token").set("Authorization", bearer(restricted.accessToken));
      const fresh = reactivated.body.data.tokens.accessToken as string;
      expectError(await deleteAccount(fresh, { token }), 401, "INVALID_TOKEN");
      expectError(await deleteAccount(fresh, { token, type: "hard" }), 401, "INVALID_TOKEN");
      expect((await app.ctx.users.findByEmail(email))?.deactivatedAt).to.equal(null);
    });

    it("after the retention window: reactivation is 410 and sign-in is 401 INVALID_CREDENTIALS", async () => {
      const { email, accessToken, token } = await accountWithToken();
      const deleted = await deleteAccount(accessToken, { token }).expect(200);
      const purgeAfter = Date.parse(deleted.body.data.purgeAfter);

      app.clock.set(new Date(purgeAfter - MIN));
      const restricted = await signInTokens(app, email);
      app.clock.set(new Date(purgeAfter));
      expectError(await app.request.put(`${A}/account/reactivate`).set("Authorization", bearer(restricted.accessToken)), 410, "REACTIVATION_WINDOW_CLOSED");
      const late = await app.request.post(`${A}/signin`).send({ email, password: PASSWORD });
      const unknown = await app.request.post(`${A}/signin`).send({ email: uniqueEmail("nobody"), password: PASSWORD });
      expectError(late, 401, "INVALID_CREDENTIALS");
      expect(late.body).to.deep.equal(unknown.body);
      app.clock.set(new Date());
    });

    it("an active account cannot be reactivated (409)", async () => {
      const { accessToken } = await signInTokens(app, await registerVerified(app));
      expectError(await app.request.put(`${A}/account/reactivate`).set("Authorization", bearer(accessToken)), 409, "ACCOUNT_NOT_DEACTIVATED");
      expectError(await app.request.put(`${A}/account/reactivate`), 401, "UNAUTHENTICATED");
    });
  });

  describe("DELETE /account/delete (hard)", () => {
    it("erases the account, its avatar and sessions now; the same email can sign up again", async () => {
      const { email, accessToken, userId, token } = await accountWithToken();
      const avatar = avatars.seed(`avatars/${userId}`);
      await app.ctx.users.update(userId, { avatar });
      const browser = app.http();
      await browser.post(`${A}/signin`).send({ email, password: PASSWORD }).expect(200);

      const auditLog = app.ctx.container.resolve<AuditLog>(TOKENS.AuditLog);
      const trail = await eventually(
        async () => (await auditLog.listForUser(userId, 50)).map((e) => e.event),
        (events) => events.includes("deletion-requested"),
      );
      expect(trail).to.include.members(["sign-in", "deletion-requested"]);

      const res = await browser.delete(`${A}/account/delete`).send({ token, type: "hard" });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.data.type).to.equal("hard");
      expect(cookiesOf(res).accessToken?.value).to.equal("");
      expect(avatars.has(avatar.key)).to.equal(false);
      expect(await app.ctx.users.findById(userId)).to.equal(null);
      expect(await auditLog.listForUser(userId, 50)).to.deep.equal([]);
      expectError(await app.request.get(`${A}/profile`).set("Authorization", bearer(accessToken)), 401, "SESSION_REVOKED");
      expectError(await app.request.post(`${A}/signin`).send({ email, password: PASSWORD }), 401, "INVALID_CREDENTIALS");

      // Past the resend cooldown of the first sign-up code.
      app.clock.advance(2 * MIN);
      const password = "a different password";
      await app.request.post(`${A}/signup`).send({ name: "Again", email, password, confirmPassword: password }).expect(201);
      const otpCode = await codeFor(app.mailer, email);
      await app.request.post(`${A}/verify-user`).send({ email, otpCode }).expect(200);
      const again = await signInTokens(app, email, password);
      expect(again.userId).to.not.equal(userId);
      app.clock.set(new Date());
    });

    it("a hard delete token cannot be reused", async () => {
      const { accessToken, token } = await accountWithToken();
      await deleteAccount(accessToken, { token, type: "hard" }).expect(200);
      // The session is gone with the account.
      expectError(await deleteAccount(accessToken, { token, type: "hard" }), 401, "SESSION_REVOKED");
    });
  });

  describe("?token= for old clients", () => {
    const logged: string[] = [];
    const logger = createLogger("debug", { write: (line: string) => void logged.push(line) });
    const logApp = useTestApp(backend, { logger, overrides: new Map([[TOKENS.AvatarStorage, avatars]]) });

    it("accepts the token from the query and never writes it to the log", async () => {
      const email = await registerVerified(logApp);
      const { accessToken } = await signInTokens(logApp, email);
      await logApp.request.post(`${A}/account/request-delete`).set("Authorization", bearer(accessToken)).send({ password: PASSWORD }).expect(200);
      const token = await deletionTokenFrom(logApp.mailer, email);
      // A wrong one first, so a failing request is logged too.
      expectError(
        await logApp.request.delete(`${A}/account/delete?token=${token.slice(0, -3)}abc`).set("Authorization", bearer(accessToken)),
        401,
        "INVALID_TOKEN",
      );

      const res = await logApp.request.delete(`${A}/account/delete?token=${token}&type=soft`).set("Authorization", bearer(accessToken));
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect((await logApp.ctx.users.findByEmail(email))?.deactivatedAt).to.be.instanceOf(Date);

      await flushMail();
      const text = logged.join("");
      expect(text).to.include("/account/delete?token=[REDACTED]");
      expect(text).to.not.include(token);
      expect(text).to.not.include(token.slice(0, -3));
    });

    it("takes ?type=hard from the query too", async () => {
      const email = await registerVerified(logApp);
      const { accessToken, userId } = await signInTokens(logApp, email);
      await logApp.request.post(`${A}/account/request-delete`).set("Authorization", bearer(accessToken)).send({ password: PASSWORD }).expect(200);
      const token = await deletionTokenFrom(logApp.mailer, email);
      const res = await logApp.request.delete(`${A}/account/delete?type=hard&token=${token}`).set("Authorization", bearer(accessToken));
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.data.type).to.equal("hard");
      expect(await logApp.ctx.users.findById(userId)).to.equal(null);
      expect(logged.join("")).to.not.include(token);
    });
  });
}
