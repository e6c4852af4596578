import { expect } from "chai";
import type { IssueCodeInput, OneTimeCodeStore } from "../../src/application/ports/one-time-code-store.port.js";
import type { CodePurpose } from "../../src/domain/one-time-code.policy.js";
import type { ManualClock } from "../support/manual-clock.js";

export interface OneTimeCodeStoreFixture {
  adapter: OneTimeCodeStore;
  /** The clock tests move; every call passes clock.now() as `now`. */
  clock: ManualClock;
  cleanup: () => Promise<void>;
}

const TTL_SECONDS = 600;
const COOLDOWN_SECONDS = 60;
const HOURLY_CAP = 5;
const MAX_ATTEMPTS = 5;

export function oneTimeCodeStoreContract(factory: () => Promise<OneTimeCodeStoreFixture>): void {
  let store: OneTimeCodeStore;
  let clock: ManualClock;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ adapter: store, clock, cleanup } = await factory());
  });

  afterEach(async () => {
    await cleanup();
  });

  function issue(codeHash: string, overrides: Partial<IssueCodeInput> = {}) {
    return store.issue({
      purpose: "verify-email",
      subject: "ada@example.com",
      codeHash,
      now: clock.now(),
      ttlSeconds: TTL_SECONDS,
      cooldownSeconds: COOLDOWN_SECONDS,
      hourlyCap: HOURLY_CAP,
      ...overrides,
    });
  }

  function consume(codeHash: string, purpose: CodePurpose = "verify-email", subject = "ada@example.com", maxAttempts = MAX_ATTEMPTS) {
    return store.consume({ purpose, subject, codeHash, now: clock.now(), maxAttempts });
  }

  it("accepts the right code once: codes are single use", async () => {
    expect(await issue("c-right")).to.deep.equal({ issued: true });
    expect(await consume("c-right")).to.equal("ok");
    expect(await consume("c-right")).to.equal("dead");
  });

  it("answers dead when no code was issued", async () => {
    expect(await consume("c-anything")).to.equal("dead");
  });

  it("counts a wrong guess but keeps the code alive below the limit", async () => {
    await issue("c-right");
    for (let i = 0; i < MAX_ATTEMPTS - 1; i++) expect(await consume(`c-wrong-${i}`)).to.equal("invalid");
    expect(await consume("c-right")).to.equal("ok");
  });

  it("kills the code after maxAttempts wrong guesses, even if the right code comes next", async () => {
    await issue("c-right");
    for (let i = 0; i < MAX_ATTEMPTS; i++) expect(await consume(`c-wrong-${i}`)).to.equal("invalid");
    expect(await consume("c-right")).to.equal("dead");
    expect(await consume("c-wrong-again")).to.equal("dead");
  });

  it("never compares more than maxAttempts of 40 parallel wrong guesses", async () => {
    await issue("c-right");
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => consume(`c-wrong-${i}`)));
    const invalid = results.filter((r) => r === "invalid").length;
    expect(invalid).to.be.within(1, MAX_ATTEMPTS);
    expect(results.filter((r) => r === "dead")).to.have.length(40 - invalid);
    expect(await consume("c-right")).to.equal("dead");
  });

  it("lets exactly one of many parallel right answers through", async () => {
    await issue("c-right");
    const results = await Promise.all(Array.from({ length: 10 }, () => consume("c-right")));
    expect(results.filter((r) => r === "ok")).to.have.length(1);
    expect(results.filter((r) => r === "dead")).to.have.length(9);
  });

  it("expires the code when the clock passes its lifetime", async () => {
    await issue("c-right");
    clock.advance(TTL_SECONDS * 1000 - 1);
    expect(await consume("c-wrong")).to.equal("invalid");
    clock.advance(1);
    expect(await consume("c-right")).to.equal("dead");
  });

  it("refuses a new code inside the cooldown and says how long to wait", async () => {
    await issue("c-first");
    expect(await issue("c-second")).to.deep.equal({ issued: false, reason: "cooldown", retryAfterSeconds: COOLDOWN_SECONDS });
    clock.advance(20_500);
    expect(await issue("c-second")).to.deep.equal({ issued: false, reason: "cooldown", retryAfterSeconds: 40 });
    // The refused issue left the first code in place.
    expect(await consume("c-first")).to.equal("ok");
  });

  it("replaces the live code after the cooldown, with a fresh attempt budget", async () => {
    await issue("c-first");
    for (let i = 0; i < MAX_ATTEMPTS - 1; i++) await consume(`c-wrong-${i}`);
    clock.advance(COOLDOWN_SECONDS * 1000);
    expect(await issue("c-second")).to.deep.equal({ issued: true });
    expect(await consume("c-first")).to.equal("invalid");
    for (let i = 0; i < MAX_ATTEMPTS - 2; i++) expect(await consume(`c-wrong-${i}`)).to.equal("invalid");
    expect(await consume("c-second")).to.equal("ok");
  });

  it("caps the codes per hour, then lets the next window through", async () => {
    const started = clock.now().getTime();
    for (let i = 0; i < 3; i++) {
      expect(await issue(`c-${i}`, { hourlyCap: 3 })).to.deep.equal({ issued: true });
      clock.advance(COOLDOWN_SECONDS * 1000);
    }
    const capped = await issue("c-3", { hourlyCap: 3 });
    expect(capped).to.deep.equal({ issued: false, reason: "hourly-cap", retryAfterSeconds: 3600 - 3 * COOLDOWN_SECONDS });
    // A refused request does not keep the window open.
    clock.set(new Date(started + 3_600_000));
    expect(await issue("c-4", { hourlyCap: 3 })).to.deep.equal({ issued: true });
    expect(await consume("c-4")).to.equal("ok");
  });

  it("keeps purposes and subjects apart: codes, cooldowns and counters", async () => {
    expect(await issue("c-verify")).to.deep.equal({ issued: true });
    expect(await issue("c-reset", { purpose: "reset-password" })).to.deep.equal({ issued: true });
    expect(await issue("c-grace", { subject: "grace@example.com" })).to.deep.equal({ issued: true });

    expect(await consume("c-reset", "verify-email")).to.equal("invalid");
    expect(await consume("c-verify", "reset-password")).to.equal("invalid");
    expect(await consume("c-verify", "verify-email", "grace@example.com")).to.equal("invalid");

    expect(await consume("c-verify")).to.equal("ok");
    expect(await consume("c-reset", "reset-password")).to.equal("ok");
    expect(await consume("c-grace", "verify-email", "grace@example.com")).to.equal("ok");
  });

  it("revokes the live code but keeps the cooldown", async () => {
    await issue("c-right");
    await store.revoke("verify-email", "ada@example.com");
    expect(await consume("c-right")).to.equal("dead");
    expect(await issue("c-next")).to.deep.include({ issued: false, reason: "cooldown" });
    await store.revoke("reset-password", "nobody@example.com");
  });

  it("issues a replacement inside the cooldown when asked to, starts a new cooldown, and still honours the hourly cap", async () => {
    await issue("c-first", { hourlyCap: 2 });
    clock.advance(5_000);
    expect(await issue("c-replacement", { hourlyCap: 2, bypassCooldown: true })).to.deep.equal({ issued: true });
    expect(await consume("c-first")).to.equal("invalid");
    clock.advance(5_000);
    expect(await issue("c-third"), "the replacement started its own cooldown").to.deep.equal({ issued: false, reason: "cooldown", retryAfterSeconds: COOLDOWN_SECONDS - 5 });
    expect(await issue("c-third", { hourlyCap: 2, bypassCooldown: true })).to.deep.include({ issued: false, reason: "hourly-cap" });
    expect(await consume("c-replacement")).to.equal("ok");
  });

  it("answers ping", async () => {
    await store.ping();
  });
}
