/**
 * 2. Brute force: parallel password guesses for one email are cut off after the lockout
 * threshold before any hash runs; parallel one-time-code guesses from many IPs reach the
 * comparison at most as often as the attempt budget allows, and none succeeds.
 */
import { expect } from "chai";
import type { ConsumeCodeInput, ConsumeCodeResult } from "../../src/application/ports/one-time-code-store.port.js";
import type { PasswordHasher } from "../../src/application/ports/security.port.js";
import { BcryptPasswordHasher } from "../../src/adapters/security/bcrypt-password.hasher.js";
import { CODE_MAX_ATTEMPTS } from "../../src/domain/one-time-code.policy.js";
import { EMAIL_LOCKOUT_POLICY } from "../../src/domain/lockout.policy.js";
import { codeFor } from "../support/http-harness.js";
import { requirePostgres, requireRedis } from "../support/services.js";
import { AUTH, fromIp, PASSWORD, seedUsers, startApp, uniqueEmail, type RunningApp } from "./support/app.js";
import { note } from "./support/summary.js";

/** Counts every password comparison the service makes (real bcrypt underneath). */
class CountingHasher implements PasswordHasher {
  verifies = 0;
  readonly #inner = new BcryptPasswordHasher(4);
  hash(password: string): Promise<string> {
    return this.#inner.hash(password);
  }
  verify(password: string, hash: string): Promise<boolean> {
    this.verifies++;
    return this.#inner.verify(password, hash);
  }
  verifyDummy(password: string): Promise<void> {
    this.verifies++;
    return this.#inner.verifyDummy(password);
  }
}

describe("Brute force", function () {
  let app: RunningApp;
  const hasher = new CountingHasher();

  before(async function () {
    await requirePostgres(this);
    await requireRedis(this);
    app = await startApp({ build: { passwordHasher: hasher } });
  });

  after(async () => {
    await app?.close();
  });

  it("50 parallel wrong passwords for one email: ≤ 5 hash checks, none succeeds", async function () {
    const [user] = await seedUsers(app.ctx, 1);
    hasher.verifies = 0;
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        app.client.post(`${AUTH}/signin`, { email: user!.email, password: `wrong-password-${i}` }, { headers: fromIp() }),
      ),
    );
    const statuses = answers.map((r) => r.status);
    const codes = answers.map((r) => r.body?.code as string);
    note(this, `hash checks ${hasher.verifies}; 401×${statuses.filter((s) => s === 401).length}, 429×${statuses.filter((s) => s === 429).length}`);
    expect(statuses.filter((s) => s !== 401 && s !== 429), answers.map((r) => r.text).join("\n")).to.deep.equal([]);
    expect(hasher.verifies).to.be.at.most(EMAIL_LOCKOUT_POLICY.threshold);
    expect(statuses.filter((s) => s === 401)).to.have.length.at.most(EMAIL_LOCKOUT_POLICY.threshold);
    expect(codes.filter((c) => c === "TOO_MANY_ATTEMPTS")).to.have.length.at.least(50 - EMAIL_LOCKOUT_POLICY.threshold);
    for (const r of answers.filter((x) => x.status === 429)) expect(Number(r.headers["retry-after"])).to.be.greaterThan(0);

    // The block holds for the right password too, and costs no hash.
    const before = hasher.verifies;
    const right = await app.client.post(`${AUTH}/signin`, { email: user!.email, password: PASSWORD }, { headers: fromIp() });
    expect(right.status).to.equal(429);
    expect(hasher.verifies).to.equal(before);
  });

  it("50 parallel guesses for an unknown email are blocked the same way", async function () {
    const email = uniqueEmail("ghost");
    hasher.verifies = 0;
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => app.client.post(`${AUTH}/signin`, { email, password: `guess-${i}-xyz` }, { headers: fromIp() })),
    );
    const statuses = answers.map((r) => r.status);
    note(this, `hash checks ${hasher.verifies}; 401×${statuses.filter((s) => s === 401).length}, 429×${statuses.filter((s) => s === 429).length}`);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).to.deep.equal([]);
    expect(hasher.verifies).to.be.at.most(EMAIL_LOCKOUT_POLICY.threshold);
    expect(statuses.filter((s) => s === 429)).to.have.length.at.least(50 - EMAIL_LOCKOUT_POLICY.threshold);
  });

  it(`4× the code budget (${4 * CODE_MAX_ATTEMPTS} guesses) in parallel from several IPs: ≤ ${CODE_MAX_ATTEMPTS} compared, none succeeds`, async function () {
    const email = uniqueEmail("otp");
    const signup = await app.client.post(`${AUTH}/signup`, { name: "Otp Target", email, password: PASSWORD, confirmPassword: PASSWORD }, { headers: fromIp() });
    expect(signup.status).to.equal(201);
    const code = await codeFor(app.mailer, email);

    // Count what reaches the comparison: "invalid" and "ok" were compared, "dead" was refused before.
    const store = app.ctx.codes;
    const original = store.consume.bind(store);
    const outcomes: ConsumeCodeResult[] = [];
    store.consume = async (input: ConsumeCodeInput) => {
      const result = await original(input);
      outcomes.push(result);
      return result;
    };
    try {
      const guesses = new Set<string>();
      while (guesses.size < 4 * CODE_MAX_ATTEMPTS) {
        const g = String(Math.floor(Math.random() * 1_000_000)).padStart(6, "0");
        if (g !== code) guesses.add(g);
      }
      const ips = ["198.51.100.1", "198.51.100.2", "203.0.113.9", "2001:db8::1", "192.0.2.77"];
      const answers = await Promise.all(
        [...guesses].map((otpCode, i) => app.client.post(`${AUTH}/verify-user`, { email, otpCode }, { headers: { "x-forwarded-for": ips[i % ips.length]! } })),
      );
      const compared = outcomes.filter((o) => o !== "dead").length;
      note(this, `${answers.length} guesses from ${ips.length} IPs; ${compared} reached the comparison; statuses ${[...new Set(answers.map((r) => r.status))].join("/")}`);
      expect(answers.filter((r) => r.status === 200)).to.deep.equal([]);
      expect(answers.map((r) => r.status).filter((s) => s !== 400 && s !== 429)).to.deep.equal([]);
      expect(compared).to.be.at.most(CODE_MAX_ATTEMPTS);
      expect(outcomes).to.not.include("ok");
    } finally {
      store.consume = original;
    }
    // The budget is spent: the right code is dead now, and the account stays unverified.
    const late = await app.client.post(`${AUTH}/verify-user`, { email, otpCode: code }, { headers: fromIp() });
    expect(late.status).to.equal(400);
    expect(late.body.code).to.equal("INVALID_CODE");
    expect((await app.ctx.users.findByEmail(email))?.isEmailVerified).to.equal(false);
  });
});
