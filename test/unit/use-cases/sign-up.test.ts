import { expect } from "chai";
import { EmailNotVerifiedError, InvalidCodeError, InvalidCredentialsError, ValidationError } from "../../../src/domain/errors.js";
import { buildUseCases, rejectionOf, ScriptedRandom, TEST_META, type UseCaseHarness } from "../../support/use-case-harness.js";

const PASSWORD = "correct horse battery";
const OTHER_PASSWORD = "another long passphrase";

describe("SignUp", () => {
  let h: UseCaseHarness;
  beforeEach(() => {
    h = buildUseCases();
  });

  describe("a new address", () => {
    it("creates an unverified user and mails a 6-digit code to it", async () => {
      const out = await h.signUp.execute({ name: "  Alice  ", email: " Alice@Example.COM ", password: PASSWORD });
      expect(out).to.deep.equal({ email: "Alice@Example.COM" });

      const user = await h.users.findByEmail("alice@example.com");
      expect(user).to.not.equal(null);
      expect(user!.name).to.equal("Alice");
      expect(user!.email).to.equal("Alice@Example.COM");
      expect(user!.isEmailVerified).to.equal(false);
      expect(user!.role).to.equal("user");
      expect(user!.lastLoginAt).to.equal(null);
      expect(user!.createdAt.getTime()).to.equal(h.clock.now().getTime());
      expect(user!.passwordHash).to.be.a("string").and.not.contain(PASSWORD);

      await h.flushBackground();
      const mails = h.mailer.sent;
      expect(mails).to.have.length(1);
      expect(mails[0]!.to).to.equal("Alice@Example.COM");
      expect(mails[0]!.tag).to.equal("verify-email");
      expect(mails[0]!.subject).to.contain("hybrid-auth");
      expect(mails[0]!.text).to.match(/\b\d{6}\b/);
    });

    it("mails a code that verifies the account", async () => {
      await h.signUp.execute({ name: "Alice", email: "alice@example.com", password: PASSWORD });
      const code = await h.lastCode("alice@example.com");
      const { user } = await h.verifyUser.execute({ email: "alice@example.com", otpCode: code });
      expect(user.isEmailVerified).to.equal(true);
    });

    it("does not let the new account sign in before it is verified", async () => {
      await h.signUp.execute({ name: "Alice", email: "alice@example.com", password: PASSWORD });
      const err = await rejectionOf(h.signIn.execute({ email: "alice@example.com", password: PASSWORD, meta: TEST_META }));
      expect(err).to.be.instanceOf(EmailNotVerifiedError);
    });

    it("never logs the code", async () => {
      await h.signUp.execute({ name: "Alice", email: "alice@example.com", password: PASSWORD });
      const code = await h.lastCode("alice@example.com");
      expect(h.logger.text()).to.not.contain(code);
      expect(h.logger.text()).to.not.contain(PASSWORD);
    });
  });

  describe("an address that is already verified", () => {
    let owner: Awaited<ReturnType<UseCaseHarness["registerVerifiedUser"]>>;
    beforeEach(async () => {
      owner = await h.registerVerifiedUser("Owner@Example.com", PASSWORD, "Owner");
      h.mailer.clear();
    });

    it("answers exactly as for a new address", async () => {
      const fresh = await h.signUp.execute({ name: "New", email: "new@example.com", password: OTHER_PASSWORD });
      const taken = await h.signUp.execute({ name: "Intruder", email: "Owner@Example.com", password: OTHER_PASSWORD });
      expect(taken).to.deep.equal({ email: "Owner@Example.com" });
      expect(Object.keys(taken)).to.deep.equal(Object.keys(fresh));
    });

    it("mails the owner a signup-notice and no code", async () => {
      await h.signUp.execute({ name: "Intruder", email: "owner@example.com", password: OTHER_PASSWORD });
      await h.flushBackground();
      const mails = h.mailer.sent;
      expect(mails).to.have.length(1);
      expect(mails[0]!.tag).to.equal("signup-notice");
      // Addressed as the owner typed it at sign-up, not as the intruder did.
      expect(mails[0]!.to).to.equal("Owner@Example.com");
      expect(mails[0]!.text).to.not.match(/\b\d{6}\b/);
    });

    it("leaves the password, name and verification unchanged", async () => {
      await h.signUp.execute({ name: "Intruder", email: "owner@example.com", password: OTHER_PASSWORD });
      const after = await h.users.findById(owner.id);
      expect(after!.name).to.equal("Owner");
      expect(after!.passwordHash).to.equal(owner.passwordHash);
      expect(after!.isEmailVerified).to.equal(true);

      const ok = await h.signIn.execute({ email: "owner@example.com", password: PASSWORD, meta: TEST_META });
      expect(ok.user.id).to.equal(owner.id);
      const err = await rejectionOf(h.signIn.execute({ email: "owner@example.com", password: OTHER_PASSWORD, meta: TEST_META }));
      expect(err).to.be.instanceOf(InvalidCredentialsError);
    });

    it("does not flood the owner: a second attempt within the cooldown sends no second notice", async () => {
      await h.signUp.execute({ name: "Intruder", email: "owner@example.com", password: OTHER_PASSWORD });
      await h.signUp.execute({ name: "Intruder", email: "owner@example.com", password: OTHER_PASSWORD });
      await h.flushBackground();
      expect(h.mailer.sent.filter((m) => m.tag === "signup-notice")).to.have.length(1);
    });
  });

  describe("an address with an unverified account", () => {
    it("replaces the pending credentials and mails a fresh code; the old code dies", async () => {
      const random = new ScriptedRandom();
      random.queueDigits("111111", "222222");
      h = buildUseCases({ random });

      await h.signUp.execute({ name: "First", email: "pending@example.com", password: PASSWORD });
      expect(await h.lastCode("pending@example.com")).to.equal("111111");
      const before = await h.users.findByEmail("pending@example.com");

      h.clock.advance(61_000);
      const out = await h.signUp.execute({ name: "Second", email: "Pending@example.com", password: OTHER_PASSWORD });
      expect(out).to.deep.equal({ email: "Pending@example.com" });
      expect(await h.lastCode("Pending@example.com")).to.equal("222222");

      const after = await h.users.findByEmail("pending@example.com");
      expect(after!.id).to.equal(before!.id);
      expect(after!.name).to.equal("Second");
      expect(after!.email).to.equal("Pending@example.com");
      expect(after!.passwordHash).to.not.equal(before!.passwordHash);
      expect(after!.isEmailVerified).to.equal(false);

      const stale = await rejectionOf(h.verifyUser.execute({ email: "pending@example.com", otpCode: "111111" }));
      expect(stale).to.be.instanceOf(InvalidCodeError);
      await h.verifyUser.execute({ email: "pending@example.com", otpCode: "222222" });

      const ok = await h.signIn.execute({ email: "pending@example.com", password: OTHER_PASSWORD, meta: TEST_META });
      expect(ok.user.name).to.equal("Second");
      const err = await rejectionOf(h.signIn.execute({ email: "pending@example.com", password: PASSWORD, meta: TEST_META }));
      expect(err).to.be.instanceOf(InvalidCredentialsError);
    });

    it("mails the fresh code even inside the resend cooldown (the old one is dead), up to the hourly cap", async () => {
      const random = new ScriptedRandom();
      random.queueDigits("111111", "222222");
      h = buildUseCases({ random });
      await h.signUp.execute({ name: "First", email: "pending@example.com", password: PASSWORD });
      h.clock.advance(5_000);
      await h.signUp.execute({ name: "Again", email: "pending@example.com", password: OTHER_PASSWORD });
      expect(await h.lastCode("pending@example.com")).to.equal("222222");
      await h.verifyUser.execute({ email: "pending@example.com", otpCode: "222222" });
      expect((await h.signIn.execute({ email: "pending@example.com", password: OTHER_PASSWORD, meta: TEST_META })).user.name).to.equal("Again");

      // The hourly cap (5 codes) still bounds how often an address can be mailed this way.
      for (let i = 0; i < 7; i++) await h.signUp.execute({ name: `Flood ${i}`, email: "victim@example.com", password: PASSWORD });
      const mailed = h.mailer.sent.filter((m) => m.to === "victim@example.com" && m.tag === "verify-email").length;
      expect(mailed).to.equal(5);
    });

    it("never takes over a passwordless (OAuth-created) account, verified or not", async () => {
      const now = h.clock.now();
      await h.users.create({
        id: "33333333-3333-4333-8333-333333333333",
        name: "Via Facebook",
        email: "social@example.com",
        emailNormalized: "social@example.com",
        passwordHash: null,
        role: "user",
        avatar: null,
        isEmailVerified: false,
        lastLoginAt: null,
        createdAt: now,
        updatedAt: now,
        deactivatedAt: null,
        purgeAfter: null,
      });
      await h.signUp.execute({ name: "Intruder", email: "social@example.com", password: PASSWORD });
      await h.flushBackground();
      const after = await h.users.findByEmail("social@example.com");
      expect(after!.passwordHash).to.equal(null);
      expect(after!.name).to.equal("Via Facebook");
      expect(h.mailer.sent.filter((m) => m.tag === "verify-email")).to.have.length(0);
      expect(h.mailer.sent.filter((m) => m.tag === "signup-notice")).to.have.length(1);
    });
  });

  it("runs the password hash once on every path (new, taken-verified, taken-unverified)", async () => {
    await h.registerVerifiedUser("verified@example.com", PASSWORD);
    await h.signUp.execute({ name: "P", email: "pending@example.com", password: PASSWORD });

    const cases = ["new@example.com", "verified@example.com", "pending@example.com"];
    for (const email of cases) {
      const before = h.hasher.calls.hash;
      await h.signUp.execute({ name: "X", email, password: OTHER_PASSWORD });
      expect(h.hasher.calls.hash - before, email).to.equal(1);
    }
  });

  describe("validation", () => {
    async function fieldErrors(input: { name: string; email: string; password: string }) {
      const err = await rejectionOf(h.signUp.execute(input));
      expect(err).to.be.instanceOf(ValidationError);
      return (err as ValidationError).errors;
    }

    it("names the name field for an empty or blank name", async () => {
      expect(await fieldErrors({ name: "", email: "a@example.com", password: PASSWORD })).to.have.property("name");
      expect(await fieldErrors({ name: "   ", email: "a@example.com", password: PASSWORD })).to.have.property("name");
    });

    it("names the name field for a name over 100 characters", async () => {
      expect(await fieldErrors({ name: "n".repeat(101), email: "a@example.com", password: PASSWORD })).to.have.property("name");
      await h.signUp.execute({ name: "n".repeat(100), email: "a@example.com", password: PASSWORD });
    });

    it("names the email field for a malformed address", async () => {
      for (const email of ["", "not-an-email", "a@b", "a b@example.com", "@example.com"]) {
        expect(await fieldErrors({ name: "A", email, password: PASSWORD }), email).to.have.property("email");
      }
    });

    it("names the password field for a password under 8 characters", async () => {
      const errors = await fieldErrors({ name: "A", email: "a@example.com", password: "short12" });
      expect(errors).to.have.property("password");
      await h.signUp.execute({ name: "A", email: "a@example.com", password: "eight888" });
    });

    it("names the password field for a password over 72 bytes in UTF-8 (bcrypt would truncate it)", async () => {
      // 40 characters, 80 bytes: short in characters, too long for bcrypt.
      const errors = await fieldErrors({ name: "A", email: "a@example.com", password: "é".repeat(40) });
      expect(errors).to.have.property("password");
      await h.signUp.execute({ name: "A", email: "a@example.com", password: "é".repeat(36) });
    });

    it("names the password field when the password equals the email (in any case)", async () => {
      const errors = await fieldErrors({ name: "A", email: "alice@example.com", password: "Alice@Example.com" });
      expect(errors).to.have.property("password");
    });

    it("creates nothing, mails nothing and hashes nothing on invalid input", async () => {
      await rejectionOf(h.signUp.execute({ name: "A", email: "a@example.com", password: "short" }));
      await h.flushBackground();
      expect(await h.users.findByEmail("a@example.com")).to.equal(null);
      expect(h.mailer.sent).to.have.length(0);
      expect(h.hasher.calls.hash).to.equal(0);
    });
  });
});
