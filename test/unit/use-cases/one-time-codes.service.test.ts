import { expect } from "chai";
import { InvalidCodeError } from "../../../src/domain/errors.js";
import { buildUseCases, rejectionOf, ScriptedRandom, type UseCaseHarness } from "../../support/use-case-harness.js";

describe("OneTimeCodes (service)", () => {
  let h: UseCaseHarness;
  let random: ScriptedRandom;
  beforeEach(() => {
    random = new ScriptedRandom();
    h = buildUseCases({ random });
  });

  it("issues a 6-digit code that is consumed once", async () => {
    const code = await h.oneTimeCodes.issue("verify-email", "alice@example.com");
    expect(code).to.match(/^\d{6}$/);
    await h.oneTimeCodes.consume("verify-email", "alice@example.com", code!);
    expect(await rejectionOf(h.oneTimeCodes.consume("verify-email", "alice@example.com", code!))).to.be.instanceOf(
      InvalidCodeError,
    );
  });

  it("binds a code to its purpose", async () => {
    random.queueDigits("123456");
    await h.oneTimeCodes.issue("verify-email", "alice@example.com");
    expect(await rejectionOf(h.oneTimeCodes.consume("reset-password", "alice@example.com", "123456"))).to.be.instanceOf(
      InvalidCodeError,
    );
    await h.oneTimeCodes.consume("verify-email", "alice@example.com", "123456");
  });

  it("binds a code to its subject, even when two subjects hold the same digits", async () => {
    random.queueDigits("123456", "123456");
    await h.oneTimeCodes.issue("verify-email", "alice@example.com");
    await h.oneTimeCodes.issue("verify-email", "bob@example.com");
    await h.oneTimeCodes.consume("verify-email", "alice@example.com", "123456");
    // Alice's use of the digits does not touch Bob's code.
    await h.oneTimeCodes.consume("verify-email", "bob@example.com", "123456");
  });

  it("refuses malformed input without counting it as a guess", async () => {
    random.queueDigits("123456");
    await h.oneTimeCodes.issue("verify-email", "alice@example.com");
    for (const bad of ["", "12345", "1234567", "12345a", " 123456", "１２３４５６", "123456\n"]) {
      expect(await rejectionOf(h.oneTimeCodes.consume("verify-email", "alice@example.com", bad)), JSON.stringify(bad)).to.be.instanceOf(
        InvalidCodeError,
      );
    }
    await h.oneTimeCodes.consume("verify-email", "alice@example.com", "123456");
  });

  it("dies after 5 wrong guesses", async () => {
    random.queueDigits("123456");
    await h.oneTimeCodes.issue("verify-email", "alice@example.com");
    for (const wrong of ["000000", "000001", "000002", "000003", "000004"]) {
      await rejectionOf(h.oneTimeCodes.consume("verify-email", "alice@example.com", wrong));
    }
    expect(await rejectionOf(h.oneTimeCodes.consume("verify-email", "alice@example.com", "123456"))).to.be.instanceOf(
      InvalidCodeError,
    );
  });

  it("returns null inside the 60 s cooldown (the earlier code stays valid), a new code after it", async () => {
    random.queueDigits("123456", "654321", "777777");
    expect(await h.oneTimeCodes.issue("verify-email", "alice@example.com")).to.equal("123456");
    h.clock.advance(59_000);
    expect(await h.oneTimeCodes.issue("verify-email", "alice@example.com")).to.equal(null);
    h.clock.advance(2_000);
    expect(await h.oneTimeCodes.issue("verify-email", "alice@example.com")).to.equal("777777");
    // The newest code replaced the first one.
    expect(await rejectionOf(h.oneTimeCodes.consume("verify-email", "alice@example.com", "123456"))).to.be.instanceOf(
      InvalidCodeError,
    );
    await h.oneTimeCodes.consume("verify-email", "alice@example.com", "777777");
  });

  it("keeps the cooldown per purpose and per subject", async () => {
    expect(await h.oneTimeCodes.issue("verify-email", "alice@example.com")).to.not.equal(null);
    expect(await h.oneTimeCodes.issue("reset-password", "alice@example.com")).to.not.equal(null);
    expect(await h.oneTimeCodes.issue("verify-email", "bob@example.com")).to.not.equal(null);
  });

  it("issues at most 5 codes per subject and purpose in an hour", async () => {
    const issued: Array<string | null> = [];
    for (let i = 0; i < 6; i++) {
      issued.push(await h.oneTimeCodes.issue("verify-email", "alice@example.com"));
      h.clock.advance(61_000);
    }
    expect(issued.filter((c) => c !== null)).to.have.length(5);
    expect(issued[5]).to.equal(null);
    h.clock.advance(60 * 60_000);
    expect(await h.oneTimeCodes.issue("verify-email", "alice@example.com")).to.not.equal(null);
  });

  it("expires a code after 10 minutes", async () => {
    random.queueDigits("123456", "654321");
    await h.oneTimeCodes.issue("verify-email", "alice@example.com");
    await h.oneTimeCodes.issue("verify-email", "bob@example.com");
    h.clock.advance(10 * 60_000 - 1);
    await h.oneTimeCodes.consume("verify-email", "bob@example.com", "654321");
    h.clock.advance(1);
    expect(await rejectionOf(h.oneTimeCodes.consume("verify-email", "alice@example.com", "123456"))).to.be.instanceOf(
      InvalidCodeError,
    );
  });

  it("revoke kills the live code", async () => {
    random.queueDigits("123456");
    await h.oneTimeCodes.issue("reset-password", "alice@example.com");
    await h.oneTimeCodes.revoke("reset-password", "alice@example.com");
    expect(await rejectionOf(h.oneTimeCodes.consume("reset-password", "alice@example.com", "123456"))).to.be.instanceOf(
      InvalidCodeError,
    );
  });
});
