import { expect } from "chai";
import { InvalidCodeError } from "../../../src/domain/errors.js";
import { buildUseCases, rejectionOf, ScriptedRandom, TEST_META, type UseCaseHarness } from "../../support/use-case-harness.js";

const PASSWORD = "correct horse battery";

/** A well-formed code that is certainly not `code`. */
function wrong(code: string, offset = 1): string {
  return String((Number(code) + offset) % 1_000_000).padStart(6, "0");
}

describe("VerifyUser", () => {
  let h: UseCaseHarness;
  let random: ScriptedRandom;
  let code: string;
  beforeEach(async () => {
    // Scripted digits, so tests that need two different codes never depend on luck.
    random = new ScriptedRandom();
    random.queueDigits("482913");
    h = buildUseCases({ random });
    await h.signUp.execute({ name: "Alice", email: "alice@example.com", password: PASSWORD });
    code = await h.lastCode("alice@example.com");
  });

  async function isVerified(email: string): Promise<boolean> {
    return (await h.users.findByEmail(email))!.isEmailVerified;
  }

  it("marks the account verified with the right code, and sign-in then works", async () => {
    const { user } = await h.verifyUser.execute({ email: "alice@example.com", otpCode: code });
    expect(user.isEmailVerified).to.equal(true);
    expect(user.passwordHash).to.be.a("string");
    expect(await isVerified("alice@example.com")).to.equal(true);
    const grant = await h.signIn.execute({ email: "alice@example.com", password: PASSWORD, meta: TEST_META });
    expect(grant.user.id).to.equal(user.id);
  });

  it("accepts the address in another case and the code with surrounding spaces", async () => {
    await h.verifyUser.execute({ email: " ALICE@example.com ", otpCode: ` ${code} ` });
    expect(await isVerified("alice@example.com")).to.equal(true);
  });

  it("is single use: the same code a second time is InvalidCodeError", async () => {
    await h.verifyUser.execute({ email: "alice@example.com", otpCode: code });
    const err = await rejectionOf(h.verifyUser.execute({ email: "alice@example.com", otpCode: code }));
    expect(err).to.be.instanceOf(InvalidCodeError);
  });

  it("refuses a wrong code with InvalidCodeError and leaves the account unverified", async () => {
    const err = await rejectionOf(h.verifyUser.execute({ email: "alice@example.com", otpCode: wrong(code) }));
    expect(err).to.be.instanceOf(InvalidCodeError);
    expect(await isVerified("alice@example.com")).to.equal(false);
  });

  it("refuses malformed codes with InvalidCodeError", async () => {
    for (const otpCode of ["", "12345", "1234567", "abcdef", code + "0", "12 456"]) {
      const err = await rejectionOf(h.verifyUser.execute({ email: "alice@example.com", otpCode }));
      expect(err, JSON.stringify(otpCode)).to.be.instanceOf(InvalidCodeError);
    }
  });

  it("still accepts the right code after 4 wrong guesses", async () => {
    for (let i = 1; i <= 4; i++) {
      await rejectionOf(h.verifyUser.execute({ email: "alice@example.com", otpCode: wrong(code, i) }));
    }
    await h.verifyUser.execute({ email: "alice@example.com", otpCode: code });
    expect(await isVerified("alice@example.com")).to.equal(true);
  });

  it("kills the code after 5 wrong guesses: the right code is then InvalidCodeError too", async () => {
    for (let i = 1; i <= 5; i++) {
      const err = await rejectionOf(h.verifyUser.execute({ email: "alice@example.com", otpCode: wrong(code, i) }));
      expect(err).to.be.instanceOf(InvalidCodeError);
    }
    const err = await rejectionOf(h.verifyUser.execute({ email: "alice@example.com", otpCode: code }));
    expect(err).to.be.instanceOf(InvalidCodeError);
    expect(await isVerified("alice@example.com")).to.equal(false);
  });

  it("does not let parallel wrong guesses exceed the limit", async () => {
    const guesses = Array.from({ length: 20 }, (_, i) =>
      rejectionOf(h.verifyUser.execute({ email: "alice@example.com", otpCode: wrong(code, i + 1) })),
    );
    await Promise.all(guesses);
    const err = await rejectionOf(h.verifyUser.execute({ email: "alice@example.com", otpCode: code }));
    expect(err).to.be.instanceOf(InvalidCodeError);
  });

  it("accepts the code just inside its 10 minutes", async () => {
    h.clock.advance(10 * 60_000 - 1_000);
    await h.verifyUser.execute({ email: "alice@example.com", otpCode: code });
    expect(await isVerified("alice@example.com")).to.equal(true);
  });

  it("refuses the code once 10 minutes have passed", async () => {
    h.clock.advance(10 * 60_000 + 1_000);
    const err = await rejectionOf(h.verifyUser.execute({ email: "alice@example.com", otpCode: code }));
    expect(err).to.be.instanceOf(InvalidCodeError);
    expect(await isVerified("alice@example.com")).to.equal(false);
  });

  it("does not accept one address's code for another address", async () => {
    random.queueDigits("570264");
    await h.signUp.execute({ name: "Bob", email: "bob@example.com", password: PASSWORD });
    const bobCode = await h.lastCode("bob@example.com");
    expect(bobCode).to.equal("570264");

    expect(await rejectionOf(h.verifyUser.execute({ email: "bob@example.com", otpCode: code }))).to.be.instanceOf(InvalidCodeError);
    expect(await rejectionOf(h.verifyUser.execute({ email: "alice@example.com", otpCode: bobCode }))).to.be.instanceOf(
      InvalidCodeError,
    );
    expect(await isVerified("bob@example.com")).to.equal(false);
    expect(await isVerified("alice@example.com")).to.equal(false);

    // Each address's own code still works (the cross-tries only counted as one wrong guess).
    await h.verifyUser.execute({ email: "alice@example.com", otpCode: code });
    await h.verifyUser.execute({ email: "bob@example.com", otpCode: bobCode });
    expect(await isVerified("bob@example.com")).to.equal(true);
  });

  it("answers an unknown address with InvalidCodeError, like a wrong code", async () => {
    const err = await rejectionOf(h.verifyUser.execute({ email: "nobody@example.com", otpCode: code }));
    expect(err).to.be.instanceOf(InvalidCodeError);
    const wrongErr = await rejectionOf(h.verifyUser.execute({ email: "alice@example.com", otpCode: wrong(code) }));
    expect(err.message).to.equal(wrongErr.message);
    expect(err.constructor).to.equal(wrongErr.constructor);
  });

  it("dies with a newer code: a resend replaces the previous code", async () => {
    random.queueDigits("100200");
    h.clock.advance(61_000);
    await h.resendVerification.execute({ email: "alice@example.com" });
    const fresh = await h.lastCode("alice@example.com");
    expect(fresh).to.equal("100200");
    const err = await rejectionOf(h.verifyUser.execute({ email: "alice@example.com", otpCode: code }));
    expect(err).to.be.instanceOf(InvalidCodeError);
    await h.verifyUser.execute({ email: "alice@example.com", otpCode: fresh });
    expect(await isVerified("alice@example.com")).to.equal(true);
  });
});
