import { expect } from "chai";
import { ValidationError } from "../../../src/domain/errors.js";
import { buildUseCases, rejectionOf, type UseCaseHarness } from "../../support/use-case-harness.js";

const PASSWORD = "correct horse battery";

describe("ResendVerification", () => {
  let h: UseCaseHarness;
  beforeEach(() => {
    h = buildUseCases();
  });

  async function verifyMailsTo(email: string): Promise<number> {
    await h.flushBackground();
    return h.mailer.sent.filter((m) => m.to === email && m.tag === "verify-email").length;
  }

  it("sends nothing inside the 60 s cooldown after sign-up, and a working code after it", async () => {
    await h.signUp.execute({ name: "Alice", email: "Alice@example.com", password: PASSWORD });
    expect(await verifyMailsTo("Alice@example.com")).to.equal(1);

    h.clock.advance(30_000);
    await h.resendVerification.execute({ email: "alice@example.com" });
    expect(await verifyMailsTo("Alice@example.com")).to.equal(1);

    h.clock.advance(31_000);
    await h.resendVerification.execute({ email: "alice@example.com" });
    // Addressed as the account's own address, whatever case the request used.
    expect(await verifyMailsTo("Alice@example.com")).to.equal(2);
    const code = await h.lastCode("Alice@example.com");
    const { user } = await h.verifyUser.execute({ email: "alice@example.com", otpCode: code });
    expect(user.isEmailVerified).to.equal(true);
  });

  it("a second resend within 60 s sends nothing; after 61 s it sends again", async () => {
    await h.signUp.execute({ name: "Alice", email: "alice@example.com", password: PASSWORD });
    h.clock.advance(61_000);
    await h.resendVerification.execute({ email: "alice@example.com" });
    expect(await verifyMailsTo("alice@example.com")).to.equal(2);

    h.clock.advance(59_000);
    await h.resendVerification.execute({ email: "alice@example.com" });
    expect(await verifyMailsTo("alice@example.com")).to.equal(2);

    h.clock.advance(2_000);
    await h.resendVerification.execute({ email: "alice@example.com" });
    expect(await verifyMailsTo("alice@example.com")).to.equal(3);
  });

  it("keeps the code already mailed valid when the cooldown suppresses a resend", async () => {
    await h.signUp.execute({ name: "Alice", email: "alice@example.com", password: PASSWORD });
    const code = await h.lastCode("alice@example.com");
    await h.resendVerification.execute({ email: "alice@example.com" });
    await h.verifyUser.execute({ email: "alice@example.com", otpCode: code });
  });

  it("caps codes at 5 per address per hour, then sends again when the hour is over", async () => {
    await h.signUp.execute({ name: "Alice", email: "alice@example.com", password: PASSWORD });
    for (let i = 0; i < 5; i++) {
      h.clock.advance(61_000);
      await h.resendVerification.execute({ email: "alice@example.com" });
    }
    expect(await verifyMailsTo("alice@example.com")).to.equal(5);

    h.clock.advance(60 * 60_000 - 5 * 61_000 + 1_000);
    await h.resendVerification.execute({ email: "alice@example.com" });
    expect(await verifyMailsTo("alice@example.com")).to.equal(6);
  });

  it("succeeds silently for an unknown address", async () => {
    await h.resendVerification.execute({ email: "nobody@example.com" });
    await h.flushBackground();
    expect(h.mailer.sent).to.have.length(0);
  });

  it("succeeds silently for an already verified address", async () => {
    await h.registerVerifiedUser("alice@example.com", PASSWORD);
    h.mailer.clear();
    h.clock.advance(61_000);
    await h.resendVerification.execute({ email: "alice@example.com" });
    await h.flushBackground();
    expect(h.mailer.sent).to.have.length(0);
  });

  it("succeeds silently for a deactivated account", async () => {
    await h.signUp.execute({ name: "Alice", email: "alice@example.com", password: PASSWORD });
    const user = await h.users.findByEmail("alice@example.com");
    await h.users.update(user!.id, { deactivatedAt: h.clock.now() });
    h.mailer.clear();
    h.clock.advance(61_000);
    await h.resendVerification.execute({ email: "alice@example.com" });
    await h.flushBackground();
    expect(h.mailer.sent).to.have.length(0);
  });

  it("refuses a malformed address with a ValidationError on the email field", async () => {
    const err = await rejectionOf(h.resendVerification.execute({ email: "not-an-email" }));
    expect(err).to.be.instanceOf(ValidationError);
    expect((err as ValidationError).errors).to.have.property("email");
  });
});
