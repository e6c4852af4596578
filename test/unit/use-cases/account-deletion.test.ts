import "reflect-metadata";
import { expect } from "chai";
import { ACCOUNT_SETTINGS, type AccountSettings } from "../../../src/application/account-settings.js";
import { TOKENS } from "../../../src/application/tokens.js";
import { HardDeleteAccount } from "../../../src/application/use-cases/hard-delete-account.use-case.js";
import { ReactivateAccount } from "../../../src/application/use-cases/reactivate-account.use-case.js";
import { RequestAccountDeletion } from "../../../src/application/use-cases/request-account-deletion.use-case.js";
import { SoftDeleteAccount } from "../../../src/application/use-cases/soft-delete-account.use-case.js";
import {
  AccountDeactivatedError,
  AccountNotDeactivatedError,
  InvalidCredentialsError,
  InvalidTokenError,
  ReactivationWindowClosedError,
  ServiceUnavailableError,
  SessionRevokedError,
  TooManyAttemptsError,
} from "../../../src/domain/errors.js";
import type { User } from "../../../src/domain/user.entity.js";
import { FakeAvatarStorage } from "../../support/fake-avatar.storage.js";
import { buildUseCases, rejectionOf, TEST_META, type UseCaseHarness } from "../../support/use-case-harness.js";

const PASSWORD = "correct horse battery";
const WRONG = "wrong password!!";
const MIN = 60_000;
const DAY = 24 * 3600_000;

function setup(retentionDays = 30) {
  const h = buildUseCases();
  const avatars = new FakeAvatarStorage();
  h.container.register(TOKENS.AvatarStorage, { useValue: avatars });
  h.container.register<AccountSettings>(ACCOUNT_SETTINGS, { useValue: { retentionDays } });
  return {
    h,
    avatars,
    requestDeletion: h.container.resolve(RequestAccountDeletion),
    softDelete: h.container.resolve(SoftDeleteAccount),
    hardDelete: h.container.resolve(HardDeleteAccount),
    reactivate: h.container.resolve(ReactivateAccount),
  };
}

describe("Account deletion use cases", () => {
  let s: ReturnType<typeof setup>;
  let h: UseCaseHarness;
  let alice: Awaited<ReturnType<UseCaseHarness["registerAndSignIn"]>>;

  beforeEach(async () => {
    s = setup();
    h = s.h;
    alice = await h.registerAndSignIn("alice@example.com", PASSWORD);
    h.mailer.clear();
  });

  /** Requests a deletion and returns the token from the mailed link. */
  async function deletionToken(userId = alice.user.id, password = PASSWORD): Promise<string> {
    await s.requestDeletion.execute({ userId, password, meta: TEST_META });
    await h.flushBackground();
    const user = await h.users.findById(userId);
    const mail = h.mailer.last(user!.email, "account-delete");
    const token = /\/account\/delete\?token=([A-Za-z0-9_-]+)/.exec(mail?.text ?? "")?.[1];
    if (!token) throw new Error(`no deletion link mailed: ${mail?.text}`);
    return token;
  }

  async function events(userId: string): Promise<string[]> {
    await h.flushBackground();
    return (await h.auditLog.listForUser(userId, 100)).map((e) => e.event);
  }

  describe("RequestAccountDeletion", () => {
    it("checks the password and mails a single-use link to the client URL, valid 15 minutes", async () => {
      const out = await s.requestDeletion.execute({ userId: alice.user.id, password: PASSWORD, meta: TEST_META });
      expect(out.expiresAt.getTime()).to.equal(h.clock.now().getTime() + 15 * MIN);
      await h.flushBackground();
      const mail = h.mailer.last("alice@example.com", "account-delete");
      expect(mail?.text).to.match(/http:\/\/localhost:3000\/account\/delete\?token=[A-Za-z0-9_-]{40,}/);
      expect(await events(alice.user.id)).to.include("deletion-requested");
      // The token is in the mail and nowhere else: not in the audit trail or the logs.
      const token = /token=([A-Za-z0-9_-]+)/.exec(mail!.text)![1]!;
      expect(JSON.stringify(await h.auditLog.listForUser(alice.user.id, 100))).to.not.include(token);
      expect(h.logger.text()).to.not.include(token);
    });

    it("refuses a wrong password with InvalidCredentialsError, mails nothing, and counts it toward the lockout", async () => {
      for (let i = 0; i < 5; i++) {
        const err = await rejectionOf(s.requestDeletion.execute({ userId: alice.user.id, password: WRONG, meta: TEST_META }));
        expect(err).to.be.instanceOf(InvalidCredentialsError);
      }
      await h.flushBackground();
      expect(h.mailer.last("alice@example.com", "account-delete")).to.equal(undefined);
      // The sixth attempt is blocked even with the right password, and so is sign-in.
      expect(await rejectionOf(s.requestDeletion.execute({ userId: alice.user.id, password: PASSWORD, meta: TEST_META }))).to.be.instanceOf(
        TooManyAttemptsError,
      );
      expect(await rejectionOf(h.signIn.execute({ email: "alice@example.com", password: PASSWORD, meta: TEST_META }))).to.be.instanceOf(
        TooManyAttemptsError,
      );
    });

    it("refuses an account without a password (OAuth only): the provider session alone cannot delete it", async () => {
      await h.users.update(alice.user.id, { passwordHash: null });
      const err = await rejectionOf(s.requestDeletion.execute({ userId: alice.user.id, password: "anything at all", meta: TEST_META }));
      expect(err).to.be.instanceOf(InvalidCredentialsError);
      await h.flushBackground();
      expect(h.mailer.last("alice@example.com", "account-delete")).to.equal(undefined);
    });

    it("a newer request replaces the earlier token", async () => {
      const first = await deletionToken();
      const second = await deletionToken();
      const input = (token: string) => ({ userId: alice.user.id, token, meta: TEST_META });
      expect(await rejectionOf(s.softDelete.execute(input(first)))).to.be.instanceOf(InvalidTokenError);
      await s.softDelete.execute(input(second));
    });
  });

  describe("SoftDeleteAccount", () => {
    it("deactivates the account for the retention window, ends every session at once and tells the owner", async () => {
      const second = await h.signIn.execute({ email: "alice@example.com", password: PASSWORD, meta: TEST_META });
      const token = await deletionToken();
      h.clock.advance(5 * MIN);
      const now = h.clock.now();

      const out = await s.softDelete.execute({ userId: alice.user.id, token, meta: TEST_META });
      expect(out.deactivatedAt.getTime()).to.equal(now.getTime());
      expect(out.purgeAfter.getTime()).to.equal(now.getTime() + 30 * DAY);
      expect(out.revokedSessions).to.equal(2);
      const stored = await h.users.findById(alice.user.id);
      expect(stored).to.include({ id: alice.user.id });
      expect(stored?.deactivatedAt?.getTime()).to.equal(now.getTime());
      expect(stored?.purgeAfter?.getTime()).to.equal(now.getTime() + 30 * DAY);

      for (const grant of [alice, second]) {
        expect(await rejectionOf(h.authenticate.execute({ accessToken: grant.tokens.accessToken }))).to.be.instanceOf(SessionRevokedError);
        expect(await rejectionOf(h.rotateRefreshToken.execute({ refreshToken: grant.tokens.refreshToken }))).to.be.instanceOf(InvalidTokenError);
      }
      expect(await events(alice.user.id)).to.include("account-soft-deleted");
      expect(h.mailer.last("alice@example.com", "account-deactivated")?.text).to.include(out.purgeAfter.toISOString());
    });

    it("uses the configured retention window", async () => {
      s = setup(7);
      h = s.h;
      const bob = await h.registerAndSignIn("bob@example.com", PASSWORD);
      const token = await deletionToken(bob.user.id);
      const out = await s.softDelete.execute({ userId: bob.user.id, token, meta: TEST_META });
      expect(out.purgeAfter.getTime() - out.deactivatedAt.getTime()).to.equal(7 * DAY);
    });

    it("refuses a wrong token with InvalidTokenError and leaves the account and its sessions alone", async () => {
      await deletionToken();
      const err = await rejectionOf(s.softDelete.execute({ userId: alice.user.id, token: "x".repeat(43), meta: TEST_META }));
      expect(err).to.be.instanceOf(InvalidTokenError);
      expect((await h.users.findById(alice.user.id))?.deactivatedAt).to.equal(null);
      await h.authenticate.execute({ accessToken: alice.tokens.accessToken });
    });

    it("accepts the token until 15 minutes have passed, not at 15 minutes", async () => {
      const bob = await h.registerAndSignIn("bob@example.com", PASSWORD);
      const aliceToken = await deletionToken();
      const bobToken = await deletionToken(bob.user.id);

      h.clock.advance(15 * MIN - 1);
      await s.softDelete.execute({ userId: alice.user.id, token: aliceToken, meta: TEST_META });
      h.clock.advance(1);
      expect(await rejectionOf(s.softDelete.execute({ userId: bob.user.id, token: bobToken, meta: TEST_META }))).to.be.instanceOf(
        InvalidTokenError,
      );
      expect((await h.users.findById(bob.user.id))?.deactivatedAt).to.equal(null);
    });

    it("a token works once: after a reactivation the same token is refused", async () => {
      const token = await deletionToken();
      await s.softDelete.execute({ userId: alice.user.id, token, meta: TEST_META });
      const restricted = await h.signIn.execute({ email: "alice@example.com", password: PASSWORD, meta: TEST_META });
      await s.reactivate.execute({ userId: alice.user.id, sessionId: restricted.session.id, meta: TEST_META });

      expect(await rejectionOf(s.softDelete.execute({ userId: alice.user.id, token, meta: TEST_META }))).to.be.instanceOf(InvalidTokenError);
      expect(await rejectionOf(s.hardDelete.execute({ userId: alice.user.id, token, meta: TEST_META }))).to.be.instanceOf(InvalidTokenError);
      expect((await h.users.findById(alice.user.id))?.deactivatedAt).to.equal(null);
    });

    it("a token is bound to its account: another user cannot spend it", async () => {
      const bob = await h.registerAndSignIn("bob@example.com", PASSWORD);
      const aliceToken = await deletionToken();
      expect(await rejectionOf(s.softDelete.execute({ userId: bob.user.id, token: aliceToken, meta: TEST_META }))).to.be.instanceOf(
        InvalidTokenError,
      );
      expect((await h.users.findById(bob.user.id))?.deactivatedAt).to.equal(null);
    });

    it("refuses an account that is already deactivated", async () => {
      await s.softDelete.execute({ userId: alice.user.id, token: await deletionToken(), meta: TEST_META });
      expect(await rejectionOf(s.softDelete.execute({ userId: alice.user.id, token: "y".repeat(43), meta: TEST_META }))).to.be.instanceOf(
        AccountDeactivatedError,
      );
    });
  });

  describe("sign-in and ReactivateAccount after a soft delete", () => {
    let purgeAfter: Date;
    beforeEach(async () => {
      ({ purgeAfter } = await s.softDelete.execute({ userId: alice.user.id, token: await deletionToken(), meta: TEST_META }));
    });

    it("sign-in gives a reactivate-scoped session; reactivating ends it and starts a normal one", async () => {
      h.clock.set(new Date(purgeAfter.getTime() - 1));
      const restricted = await h.signIn.execute({ email: "alice@example.com", password: PASSWORD, meta: TEST_META });
      expect((await h.authenticate.execute({ accessToken: restricted.tokens.accessToken })).scope).to.equal("reactivate");

      const out = await s.reactivate.execute({ userId: alice.user.id, sessionId: restricted.session.id, meta: TEST_META });
      expect(out.user).to.include({ deactivatedAt: null, purgeAfter: null });
      expect(await h.users.findById(alice.user.id)).to.include({ deactivatedAt: null, purgeAfter: null });
      expect(await rejectionOf(h.authenticate.execute({ accessToken: restricted.tokens.accessToken }))).to.be.instanceOf(SessionRevokedError);
      const fresh = await h.authenticate.execute({ accessToken: out.tokens.accessToken });
      expect(fresh).to.deep.include({ userId: alice.user.id, sessionId: out.session.id, role: "user" });
      expect(fresh.scope).to.equal(undefined);
      expect(fresh.user).to.include({ deactivatedAt: null });
      // The new refresh token works too, and keeps the normal scope.
      const rotated = await h.rotateRefreshToken.execute({ refreshToken: out.tokens.refreshToken });
      expect((await h.authenticate.execute({ accessToken: rotated.tokens.accessToken })).scope).to.equal(undefined);
      expect(await events(alice.user.id)).to.include("account-reactivated");
      expect(h.mailer.last("alice@example.com", "account-reactivated")).to.exist;
    });

    it("ends every restricted session, not only the caller's", async () => {
      const phone = await h.signIn.execute({ email: "alice@example.com", password: PASSWORD, meta: TEST_META });
      const laptop = await h.signIn.execute({ email: "alice@example.com", password: PASSWORD, meta: TEST_META });
      await s.reactivate.execute({ userId: alice.user.id, sessionId: laptop.session.id, meta: TEST_META });
      expect(await h.sessions.get(phone.session.id)).to.equal(null);
    });

    it("the window closes at purgeAfter: reactivation then fails with ReactivationWindowClosedError", async () => {
      h.clock.set(new Date(purgeAfter.getTime() - 1));
      const restricted = await h.signIn.execute({ email: "alice@example.com", password: PASSWORD, meta: TEST_META });
      h.clock.set(purgeAfter);
      const err = await rejectionOf(s.reactivate.execute({ userId: alice.user.id, sessionId: restricted.session.id, meta: TEST_META }));
      expect(err).to.be.instanceOf(ReactivationWindowClosedError);
      expect((await h.users.findById(alice.user.id))?.deactivatedAt).to.not.equal(null);
    });

    it("past the window, sign-in answers InvalidCredentialsError as for an unknown address", async () => {
      h.clock.set(purgeAfter);
      const err = await rejectionOf(h.signIn.execute({ email: "alice@example.com", password: PASSWORD, meta: TEST_META }));
      expect(err).to.be.instanceOf(InvalidCredentialsError);
      await h.flushBackground();
      const failed = (await h.auditLog.listForUser(alice.user.id, 100)).filter((e) => e.event === "sign-in-failed");
      expect(failed).to.have.length(0);
    });

    it("an active account cannot be reactivated", async () => {
      const bob = await h.registerAndSignIn("bob@example.com", PASSWORD);
      const err = await rejectionOf(s.reactivate.execute({ userId: bob.user.id, sessionId: bob.session.id, meta: TEST_META }));
      expect(err).to.be.instanceOf(AccountNotDeactivatedError);
      await h.authenticate.execute({ accessToken: bob.tokens.accessToken });
    });
  });

  describe("HardDeleteAccount", () => {
    async function withAvatar(user: User): Promise<string> {
      const avatar = s.avatars.seed(`avatars/${user.id}`);
      await h.users.update(user.id, { avatar });
      return avatar.key;
    }

    it("erases avatar, sessions, audit trail and the user now; the address can sign up again", async () => {
      const key = await withAvatar(alice.user);
      const second = await h.signIn.execute({ email: "alice@example.com", password: PASSWORD, meta: TEST_META });
      const token = await deletionToken();
      expect(await events(alice.user.id)).to.not.be.empty;

      const out = await s.hardDelete.execute({ userId: alice.user.id, token, meta: TEST_META });
      expect(out.revokedSessions).to.equal(2);
      expect(s.avatars.has(key)).to.equal(false);
      expect(s.avatars.removed).to.deep.equal([key]);
      expect(await h.users.findById(alice.user.id)).to.equal(null);
      expect(await h.users.findByEmail("alice@example.com")).to.equal(null);
      for (const grant of [alice, second]) {
        expect(await h.sessions.get(grant.session.id)).to.equal(null);
        expect(await rejectionOf(h.authenticate.execute({ accessToken: grant.tokens.accessToken }))).to.be.instanceOf(SessionRevokedError);
      }
      expect(await events(alice.user.id)).to.deep.equal([]);
      expect(h.mailer.last("alice@example.com", "account-deleted")).to.exist;

      // (past the resend cooldown of the sign-up code mailed a moment ago)
      h.clock.advance(2 * MIN);
      const again = await h.registerVerifiedUser("alice@example.com", "a brand new password");
      expect(again.id).to.not.equal(alice.user.id);
      await h.signIn.execute({ email: "alice@example.com", password: "a brand new password", meta: TEST_META });
      expect(await rejectionOf(h.signIn.execute({ email: "alice@example.com", password: PASSWORD, meta: TEST_META }))).to.be.instanceOf(
        InvalidCredentialsError,
      );
    });

    it("removes no image for an account without an avatar", async () => {
      await s.hardDelete.execute({ userId: alice.user.id, token: await deletionToken(), meta: TEST_META });
      expect(s.avatars.removed).to.deep.equal([]);
      expect(await h.users.findById(alice.user.id)).to.equal(null);
    });

    it("fails with the account intact when the image store is down", async () => {
      const key = await withAvatar(alice.user);
      const token = await deletionToken();
      s.avatars.failRemove = true;
      const err = await rejectionOf(s.hardDelete.execute({ userId: alice.user.id, token, meta: TEST_META }));
      expect(err).to.be.instanceOf(ServiceUnavailableError);
      expect((await h.users.findById(alice.user.id))?.avatar?.key).to.equal(key);
      await h.authenticate.execute({ accessToken: alice.tokens.accessToken });
      expect(await events(alice.user.id)).to.not.be.empty;
    });

    it("refuses a wrong or expired token and erases nothing", async () => {
      const token = await deletionToken();
      expect(await rejectionOf(s.hardDelete.execute({ userId: alice.user.id, token: token.slice(1) + "A", meta: TEST_META }))).to.be.instanceOf(
        InvalidTokenError,
      );
      h.clock.advance(15 * MIN);
      expect(await rejectionOf(s.hardDelete.execute({ userId: alice.user.id, token, meta: TEST_META }))).to.be.instanceOf(InvalidTokenError);
      expect(await h.users.findById(alice.user.id)).to.not.equal(null);
      expect(await h.sessions.get(alice.session.id)).to.not.equal(null);
    });

    it("leaves one tombstone outside any user's trail, with nothing but the opaque id", async () => {
      await s.hardDelete.execute({ userId: alice.user.id, token: await deletionToken(), meta: TEST_META });
      await h.flushBackground();
      // The in-memory log has no "list everything"; an entry without a user is reachable only this way.
      const all = (h.auditLog as unknown as { listForUser(id: string | null, n: number): Promise<Array<{ event: string; details: object }>> });
      const orphans = await all.listForUser(null, 100);
      expect(orphans.map((e) => e.event)).to.deep.equal(["account-hard-deleted"]);
      expect(orphans[0]!.details).to.deep.equal({ userId: alice.user.id });
    });
  });
});
