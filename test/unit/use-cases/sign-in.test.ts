import { expect } from "chai";
import { EmailNotVerifiedError, InvalidCredentialsError } from "../../../src/domain/errors.js";
import { buildUseCases, rejectionOf, TEST_META, type UseCaseHarness } from "../../support/use-case-harness.js";

const PASSWORD = "correct horse battery";

describe("SignIn", () => {
  let h: UseCaseHarness;
  beforeEach(() => {
    h = buildUseCases();
  });

  describe("failures", () => {
    beforeEach(async () => {
      await h.registerVerifiedUser("alice@example.com", PASSWORD);
    });

    it("answers an unknown email and a wrong password with the same InvalidCredentialsError", async () => {
      const unknown = await rejectionOf(h.signIn.execute({ email: "nobody@example.com", password: PASSWORD, meta: TEST_META }));
      const wrong = await rejectionOf(h.signIn.execute({ email: "alice@example.com", password: "wrong password!", meta: TEST_META }));
      expect(unknown).to.be.instanceOf(InvalidCredentialsError);
      expect(wrong).to.be.instanceOf(InvalidCredentialsError);
      expect(unknown.message).to.equal(wrong.message);
    });

    it("spends a dummy password check on an unknown email (no timing shortcut)", async () => {
      const before = { ...h.hasher.calls };
      await rejectionOf(h.signIn.execute({ email: "nobody@example.com", password: PASSWORD, meta: TEST_META }));
      expect(h.hasher.calls.dummy - before.dummy).to.equal(1);
      expect(h.hasher.calls.verify - before.verify).to.equal(0);
    });

    it("spends a dummy password check on an OAuth-only account (no password hash)", async () => {
      const now = h.clock.now();
      await h.users.create({
        id: "00000000-0000-4000-8000-000000000001",
        name: "OAuth",
        email: "oauth@example.com",
        emailNormalized: "oauth@example.com",
        passwordHash: null,
        role: "user",
        avatar: null,
        isEmailVerified: true,
        lastLoginAt: null,
        createdAt: now,
        deactivatedAt: null,
        purgeAfter: null,
      });
      const before = h.hasher.calls.dummy;
      const err = await rejectionOf(h.signIn.execute({ email: "oauth@example.com", password: PASSWORD, meta: TEST_META }));
      expect(err).to.be.instanceOf(InvalidCredentialsError);
      expect(h.hasher.calls.dummy - before).to.equal(1);
    });

    it("runs a real password check on a wrong password", async () => {
      const before = { ...h.hasher.calls };
      await rejectionOf(h.signIn.execute({ email: "alice@example.com", password: "wrong password!", meta: TEST_META }));
      expect(h.hasher.calls.verify - before.verify).to.equal(1);
      expect(h.hasher.calls.dummy - before.dummy).to.equal(0);
    });

    it("creates no session and leaves lastLoginAt untouched on failure", async () => {
      await rejectionOf(h.signIn.execute({ email: "alice@example.com", password: "wrong password!", meta: TEST_META }));
      const user = await h.users.findByEmail("alice@example.com");
      expect(user!.lastLoginAt).to.equal(null);
      expect(await h.sessions.listByUser(user!.id)).to.have.length(0);
    });
  });

  describe("an unverified account", () => {
    beforeEach(async () => {
      await h.signUp.execute({ name: "Pending", email: "pending@example.com", password: PASSWORD });
    });

    it("reveals EmailNotVerifiedError only after the right password", async () => {
      const err = await rejectionOf(h.signIn.execute({ email: "pending@example.com", password: PASSWORD, meta: TEST_META }));
      expect(err).to.be.instanceOf(EmailNotVerifiedError);
    });

    it("answers a wrong password with InvalidCredentialsError, not EmailNotVerifiedError", async () => {
      const err = await rejectionOf(h.signIn.execute({ email: "pending@example.com", password: "wrong password!", meta: TEST_META }));
      expect(err).to.be.instanceOf(InvalidCredentialsError);
    });

    it("starts no session", async () => {
      await rejectionOf(h.signIn.execute({ email: "pending@example.com", password: PASSWORD, meta: TEST_META }));
      const user = await h.users.findByEmail("pending@example.com");
      expect(await h.sessions.listByUser(user!.id)).to.have.length(0);
    });
  });

  describe("success", () => {
    it("returns the user, a token pair and a live session, and sets lastLoginAt", async () => {
      const registered = await h.registerVerifiedUser("Alice@Example.com", PASSWORD, "Alice");
      h.clock.advance(5_000);
      const now = h.clock.now();

      const out = await h.signIn.execute({ email: "  alice@EXAMPLE.com ", password: PASSWORD, meta: TEST_META });

      expect(out.user.id).to.equal(registered.id);
      expect(out.user.lastLoginAt?.getTime()).to.equal(now.getTime());
      expect((await h.users.findById(registered.id))!.lastLoginAt?.getTime()).to.equal(now.getTime());

      const { tokens, session } = out;
      expect(tokens.accessToken).to.be.a("string").and.not.equal("");
      expect(tokens.refreshToken.startsWith(`${session.id}.`)).to.equal(true);
      expect(tokens.accessTokenExpiresAt.getTime()).to.equal(now.getTime() + 15 * 60_000);
      expect(tokens.refreshTokenExpiresAt.getTime()).to.equal(now.getTime() + 7 * 24 * 3600_000);

      const live = await h.sessions.get(session.id);
      expect(live).to.not.equal(null);
      expect(live!.userId).to.equal(registered.id);
      expect(live!.ip).to.equal(TEST_META.ip);
      expect(live!.userAgent).to.equal(TEST_META.userAgent);
      expect(live!.createdAt.getTime()).to.equal(now.getTime());
      expect(live!.absoluteExpiresAt.getTime()).to.equal(now.getTime() + 30 * 24 * 3600_000);
      // Only a keyed hash of the refresh token is stored.
      expect(live!.refreshTokenHash).to.not.equal(tokens.refreshToken);
      expect(live!.refreshTokenHash).to.not.contain(tokens.refreshToken.split(".")[1]!);

      const auth = await h.authenticate.execute({ accessToken: tokens.accessToken });
      expect(auth).to.deep.include({ userId: registered.id, sessionId: session.id, role: "user" });
      expect(auth.user).to.deep.equal(await h.users.findById(registered.id));
    });

    it("gives each sign-in its own session", async () => {
      const first = await h.registerAndSignIn("alice@example.com", PASSWORD);
      const second = await h.signIn.execute({ email: "alice@example.com", password: PASSWORD, meta: { ip: null, userAgent: null } });
      expect(second.session.id).to.not.equal(first.session.id);
      expect(second.tokens.refreshToken).to.not.equal(first.tokens.refreshToken);
      expect(await h.sessions.listByUser(first.user.id)).to.have.length(2);
    });

    it("never logs the password or the tokens", async () => {
      const out = await h.registerAndSignIn("alice@example.com", PASSWORD);
      const logs = h.logger.text();
      expect(logs).to.not.contain(PASSWORD);
      expect(logs).to.not.contain(out.tokens.refreshToken);
      expect(logs).to.not.contain(out.tokens.accessToken);
    });
  });
});
