import { expect } from "chai";
import { EmailNotVerifiedError, InvalidCredentialsError, ServiceUnavailableError, TooManyAttemptsError } from "../../../src/domain/errors.js";
import type { RequestMeta } from "../../../src/application/request-context.js";
import { buildUseCases, rejectionOf, TEST_META, type UseCaseHarness } from "../../support/use-case-harness.js";

const PASSWORD = "correct horse battery";
const WRONG = "wrong password!!";
const MIN_MS = 60_000;

describe("SignIn lockout (PasswordAttempts)", () => {
  let h: UseCaseHarness;
  beforeEach(async () => {
    h = buildUseCases();
    await h.registerVerifiedUser("Alice@example.com", PASSWORD);
    h.mailer.clear();
  });

  function signIn(email: string, password: string, meta: RequestMeta = TEST_META) {
    return h.signIn.execute({ email, password, meta });
  }

  async function fail(times: number, email = "alice@example.com", meta: RequestMeta = TEST_META): Promise<void> {
    for (let i = 0; i < times; i++) expect(await rejectionOf(signIn(email, WRONG, meta))).to.be.instanceOf(InvalidCredentialsError);
  }

  it("blocks the email after 5 failures: even the right password then gets TooManyAttemptsError", async () => {
    await fail(5);
    const err = await rejectionOf(signIn("alice@example.com", PASSWORD));
    expect(err).to.be.instanceOf(TooManyAttemptsError);
    expect((err as TooManyAttemptsError).retryAfterSeconds).to.be.within(14 * 60, 15 * 60);
  });

  it("answers a blocked email before any password hash runs", async () => {
    await fail(5);
    await rejectionOf(signIn("alice@example.com", WRONG));
    const before = { ...h.hasher.calls };
    await rejectionOf(signIn("alice@example.com", PASSWORD));
    expect(h.hasher.calls).to.deep.equal(before);
  });

  it("answers a blocked email without looking the account up (one counter call, no database query)", async () => {
    await fail(5);
    // The first refusal starts the block and mails the owner (that looks the account up once).
    expect(await rejectionOf(signIn("alice@example.com", WRONG))).to.be.instanceOf(TooManyAttemptsError);
    let lookups = 0;
    const findByEmail = h.users.findByEmail.bind(h.users);
    h.users.findByEmail = async (email: string) => {
      lookups++;
      return findByEmail(email);
    };
    expect(await rejectionOf(signIn("alice@example.com", PASSWORD))).to.be.instanceOf(TooManyAttemptsError);
    expect(lookups).to.equal(0);
    expect(await rejectionOf(signIn("bob@example.com", WRONG))).to.be.instanceOf(InvalidCredentialsError);
    expect(lookups, "an address that is not blocked is looked up").to.equal(1);
  });

  it("blocks an unknown email the same way, so a block reveals nothing", async () => {
    await fail(5, "nobody@example.com");
    const err = await rejectionOf(signIn("nobody@example.com", WRONG));
    expect(err).to.be.instanceOf(TooManyAttemptsError);
    await h.flushBackground();
    expect(h.mailer.sent).to.have.length(0);
  });

  it("counts the normalised email: case and spaces do not buy extra guesses", async () => {
    await fail(2, "ALICE@example.com");
    await fail(3, " alice@EXAMPLE.com ");
    expect(await rejectionOf(signIn("alice@example.com", PASSWORD))).to.be.instanceOf(TooManyAttemptsError);
  });

  it("mails the owner once when the block starts", async () => {
    await fail(5);
    await rejectionOf(signIn("alice@example.com", WRONG));
    await rejectionOf(signIn("alice@example.com", WRONG));
    await h.flushBackground();
    const locked = h.mailer.sent.filter((m) => m.tag === "account-locked");
    expect(locked).to.have.length(1);
    expect(locked[0]!.to).to.equal("Alice@example.com");
  });

  it("lifts the block by itself after 15 minutes", async () => {
    await fail(5);
    await rejectionOf(signIn("alice@example.com", PASSWORD));
    h.clock.advance(15 * MIN_MS);
    const grant = await signIn("alice@example.com", PASSWORD);
    expect(grant.session.id).to.be.a("string");
  });

  it("doubles the block when the email is blocked again", async () => {
    await fail(5);
    await rejectionOf(signIn("alice@example.com", WRONG));
    h.clock.advance(15 * MIN_MS);
    await fail(5);
    const err = await rejectionOf(signIn("alice@example.com", WRONG));
    expect(err).to.be.instanceOf(TooManyAttemptsError);
    expect((err as TooManyAttemptsError).retryAfterSeconds).to.be.within(29 * 60, 30 * 60);
  });

  it("forgives earlier failures after a correct password", async () => {
    await fail(4);
    await signIn("alice@example.com", PASSWORD);
    await fail(4);
    await signIn("alice@example.com", PASSWORD);
  });

  it("forgets failures older than the 15-minute window", async () => {
    await fail(4);
    h.clock.advance(15 * MIN_MS);
    await fail(4);
    await signIn("alice@example.com", PASSWORD);
  });

  it("lets at most 5 of 20 parallel wrong guesses reach the password hash", async () => {
    const before = h.hasher.calls.verify;
    const errors = await Promise.all(Array.from({ length: 20 }, () => rejectionOf(signIn("alice@example.com", WRONG))));
    expect(h.hasher.calls.verify - before).to.equal(5);
    expect(errors.filter((e) => e instanceof TooManyAttemptsError)).to.have.length(15);
    expect(errors.filter((e) => e instanceof InvalidCredentialsError)).to.have.length(5);
  });

  it("still reveals EmailNotVerifiedError only after the right password, and does not count it", async () => {
    await h.signUp.execute({ name: "P", email: "pending@example.com", password: PASSWORD });
    await fail(4, "pending@example.com");
    expect(await rejectionOf(signIn("pending@example.com", PASSWORD))).to.be.instanceOf(EmailNotVerifiedError);
    await fail(4, "pending@example.com");
    expect(await rejectionOf(signIn("pending@example.com", PASSWORD))).to.be.instanceOf(EmailNotVerifiedError);
  });

  it("blocks a client IP that fails across many emails", async () => {
    const ip: RequestMeta = { ip: "192.0.2.99", userAgent: null };
    for (let i = 0; i < 10; i++) await fail(5, `victim${i}@example.com`, ip);
    // 50 failures from this IP; the next one, on a fresh email, is refused.
    expect(await rejectionOf(signIn("fresh@example.com", WRONG, ip))).to.be.instanceOf(TooManyAttemptsError);
    // Other clients are unaffected.
    await signIn("alice@example.com", PASSWORD, { ip: "192.0.2.100", userAgent: null });
  });

  // Only failures count against an IP: an office behind one NAT signs in all day.
  it("does not count successful sign-ins toward the IP block", async () => {
    const office: RequestMeta = { ip: "192.0.2.7", userAgent: null };
    for (let i = 0; i < 60; i++) await signIn("alice@example.com", PASSWORD, office);
  });

  it("a burst of 60 correct sign-ins from one office IP at once blocks nobody: the few over the budget retry after a second", async () => {
    const office: RequestMeta = { ip: "192.0.2.8", userAgent: null };
    const emails = Array.from({ length: 60 }, (_, i) => `staff${i}@example.com`);
    for (const email of emails) await h.registerVerifiedUser(email, PASSWORD);
    const results = await Promise.all(emails.map((email) => signIn(email, PASSWORD, office).then(() => null, (e: unknown) => e)));
    const refused = results.filter((r) => r !== null);
    expect(60 - refused.length, "the IP budget's worth got through at once").to.be.at.least(50);
    for (const err of refused) expect(err).to.be.instanceOf(TooManyAttemptsError).with.property("retryAfterSeconds", 1);
    h.clock.advance(1_000);
    for (const [i, r] of results.entries()) if (r !== null) await signIn(emails[i]!, PASSWORD, office);
    expect(await rejectionOf(signIn("staff0@example.com", WRONG, office)), "the IP is not blocked").to.be.instanceOf(InvalidCredentialsError);
  });

  it("six devices signing in to one account at once never lock it", async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => signIn("alice@example.com", PASSWORD).then(() => null, (e: unknown) => e)));
    for (const err of results.filter((r) => r !== null)) expect(err).to.be.instanceOf(TooManyAttemptsError).with.property("retryAfterSeconds", 1);
    await signIn("alice@example.com", PASSWORD);
    await h.flushBackground();
    expect(h.mailer.last("alice@example.com", "account-locked")).to.equal(undefined);
  });

  it("does not count attempts refused for a blocked IP against the email", async () => {
    const attacker: RequestMeta = { ip: "192.0.2.66", userAgent: null };
    for (let i = 0; i < 10; i++) await fail(5, `other${i}@example.com`, attacker);
    for (let i = 0; i < 10; i++) expect(await rejectionOf(signIn("alice@example.com", WRONG, attacker))).to.be.instanceOf(TooManyAttemptsError);
    // Alice, from her own address, is not locked by the attacker's refused attempts.
    await signIn("alice@example.com", PASSWORD, { ip: "192.0.2.1", userAgent: null });
  });

  it("does not count a sign-in the hash queue shed (503) as a failed attempt", async () => {
    const verify = h.hasher.verify.bind(h.hasher);
    h.hasher.verify = async () => {
      throw new ServiceUnavailableError("passwordHasher");
    };
    for (let i = 0; i < 8; i++) expect(await rejectionOf(signIn("alice@example.com", PASSWORD))).to.be.instanceOf(ServiceUnavailableError);
    h.hasher.verify = verify;
    await signIn("alice@example.com", PASSWORD);
  });
});
