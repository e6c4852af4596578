import { expect } from "chai";
import type { AttemptCounter, AttemptDecision } from "../../src/application/ports/attempt-counter.port.js";
import { ATTEMPT_IN_FLIGHT_SECONDS, EMAIL_LOCKOUT_POLICY, type AttemptPolicy } from "../../src/domain/lockout.policy.js";
import type { ManualClock } from "../support/manual-clock.js";

export interface AttemptCounterFixture {
  adapter: AttemptCounter;
  /** The clock tests move; every call passes clock.now() as `now`. */
  clock: ManualClock;
  cleanup: () => Promise<void>;
}

const POLICY = EMAIL_LOCKOUT_POLICY; // threshold 5, window 15 min, first block 15 min, cap 24 h
/** Small numbers so the cap and the memory are reached in a few steps. */
const SMALL: AttemptPolicy = {
  threshold: 1,
  windowSeconds: 60,
  baseBlockSeconds: 10,
  maxBlockSeconds: 25,
  escalationMemorySeconds: 100,
};
const KEY = "email:ada@example.com";

export function attemptCounterContract(factory: () => Promise<AttemptCounterFixture>): void {
  let counter: AttemptCounter;
  let clock: ManualClock;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ adapter: counter, clock, cleanup } = await factory());
  });

  afterEach(async () => {
    await cleanup();
  });

  const reserve = (key = KEY, policy = POLICY) => counter.reserve(key, policy, clock.now());
  /** An attempt that is let through and then fails (a wrong password). */
  const failed = async (key = KEY, policy = POLICY) => {
    const decision = await reserve(key, policy);
    if (decision.allowed) await counter.settleFailure(key);
    return decision;
  };
  const advance = (seconds: number) => clock.advance(seconds * 1000);

  /** Runs threshold allowed attempts and the one that blocks; returns the blocking decision. */
  async function tripBlock(key = KEY, policy = POLICY): Promise<AttemptDecision> {
    for (let i = 1; i <= policy.threshold; i++) expect(await failed(key, policy)).to.deep.equal({ allowed: true, failures: i });
    const decision = await reserve(key, policy);
    expect(decision).to.include({ allowed: false, newlyBlocked: true });
    return decision;
  }

  it("allows threshold attempts, blocks on the next one and refuses while blocked", async () => {
    for (let i = 1; i <= 5; i++) expect(await failed()).to.deep.equal({ allowed: true, failures: i });
    expect(await reserve()).to.deep.equal({ allowed: false, retryAfterSeconds: 900, newlyBlocked: true });
    expect(await reserve()).to.deep.equal({ allowed: false, retryAfterSeconds: 900, newlyBlocked: false });
    advance(100);
    expect(await reserve()).to.deep.equal({ allowed: false, retryAfterSeconds: 800, newlyBlocked: false });
    expect(await counter.blockedFor(KEY, clock.now())).to.equal(800);
  });

  it("lets exactly threshold of 50 parallel attempts through; the rest are refused as busy, and the block starts once they failed", async () => {
    const decisions = await Promise.all(Array.from({ length: 50 }, () => reserve()));
    const allowed = decisions.filter((d) => d.allowed);
    expect(allowed.map((d) => d.failures).sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5]);
    const refused = decisions.filter((d) => !d.allowed);
    expect(refused).to.have.length(45);
    for (const d of refused) expect(d).to.deep.equal({ allowed: false, retryAfterSeconds: 1, newlyBlocked: false, busy: true });
    expect(await counter.blockedFor(KEY, clock.now())).to.equal(0);

    for (let i = 0; i < 5; i++) await counter.settleFailure(KEY);
    const after = await Promise.all(Array.from({ length: 10 }, () => reserve()));
    expect(after.filter((d) => !d.allowed && d.newlyBlocked)).to.have.length(1);
    for (const d of after) expect(d).to.include({ allowed: false, retryAfterSeconds: 900 });
  });

  it("never blocks for attempts that were in flight and then succeeded (a burst behind one NAT)", async () => {
    const burst = await Promise.all(Array.from({ length: 8 }, () => reserve()));
    expect(burst.filter((d) => d.allowed)).to.have.length(5);
    expect(burst.filter((d) => !d.allowed && (d as { busy?: boolean }).busy)).to.have.length(3);
    for (let i = 0; i < 5; i++) await counter.forgive(KEY);
    // The three refused retry a second later and get through; nobody is blocked.
    advance(1);
    for (let i = 1; i <= 3; i++) expect(await reserve()).to.deep.equal({ allowed: true, failures: i });
    expect(await counter.blockedFor(KEY, clock.now())).to.equal(0);
  });

  it("counts an attempt whose verdict never arrived as a failure after ATTEMPT_IN_FLIGHT_SECONDS", async () => {
    for (let i = 0; i < 4; i++) await failed();
    await reserve(); // the process checking it died
    expect(await reserve()).to.include({ allowed: false, busy: true, newlyBlocked: false });
    advance(ATTEMPT_IN_FLIGHT_SECONDS);
    expect(await reserve()).to.deep.equal({ allowed: false, retryAfterSeconds: 900, newlyBlocked: true });
  });

  it("a success clears settled failures but keeps the attempts still in flight counted", async () => {
    await failed();
    await failed();
    await reserve(); // in flight
    await reserve(); // in flight, and succeeds:
    await counter.clearFailures(KEY);
    expect(await reserve(), "the other in-flight attempt still counts").to.deep.equal({ allowed: true, failures: 2 });
  });

  it("blocks when the failures fall inside one window", async () => {
    await failed();
    advance(600);
    for (let i = 2; i <= 5; i++) expect(await failed()).to.deep.equal({ allowed: true, failures: i });
    advance(299); // one second before the window that opened at the first failure closes
    expect(await reserve()).to.include({ allowed: false, newlyBlocked: true });
  });

  it("starts a fresh count once the window that opened at the first failure has passed", async () => {
    await failed();
    advance(600);
    for (let i = 2; i <= 5; i++) await failed();
    advance(300); // the window opened at the first failure, not the last
    expect(await failed()).to.deep.equal({ allowed: true, failures: 1 });
    for (let i = 2; i <= 5; i++) expect(await failed()).to.deep.equal({ allowed: true, failures: i });
    expect(await reserve()).to.include({ allowed: false, newlyBlocked: true });
  });

  it("lifts a block by itself after retryAfterSeconds, with a fresh count", async () => {
    const { retryAfterSeconds } = (await tripBlock()) as { retryAfterSeconds: number };
    advance(retryAfterSeconds - 1);
    expect(await reserve()).to.deep.equal({ allowed: false, retryAfterSeconds: 1, newlyBlocked: false });
    advance(1);
    expect(await counter.blockedFor(KEY, clock.now())).to.equal(0);
    expect(await reserve()).to.deep.equal({ allowed: true, failures: 1 });
  });

  it("doubles each further block: 900 s, 1800 s, 3600 s", async () => {
    for (const expected of [900, 1800, 3600]) {
      const decision = await tripBlock();
      expect(decision).to.deep.equal({ allowed: false, retryAfterSeconds: expected, newlyBlocked: true });
      advance(expected);
    }
  });

  it("caps a block at maxBlockSeconds", async () => {
    for (const expected of [10, 20, 25, 25]) {
      expect(await tripBlock(KEY, SMALL)).to.deep.equal({ allowed: false, retryAfterSeconds: expected, newlyBlocked: true });
      advance(expected);
    }
  });

  it("forgets earlier blocks escalationMemorySeconds after the last block ended", async () => {
    expect(await tripBlock(KEY, SMALL)).to.include({ retryAfterSeconds: 10 }); // blocked until t=10
    advance(10 + SMALL.escalationMemorySeconds - 1); // still remembered
    expect(await tripBlock(KEY, SMALL)).to.include({ retryAfterSeconds: 20 });
    advance(20 + SMALL.escalationMemorySeconds); // forgotten
    expect(await tripBlock(KEY, SMALL)).to.include({ retryAfterSeconds: 10 });
  });

  it("forgive gives back one attempt, never below zero", async () => {
    await reserve();
    await reserve();
    await counter.forgive(KEY);
    expect(await reserve()).to.deep.equal({ allowed: true, failures: 2 });
    await counter.forgive(KEY);
    await counter.forgive(KEY);
    await counter.forgive(KEY);
    await counter.forgive("never-seen");
    expect(await reserve()).to.deep.equal({ allowed: true, failures: 1 });
  });

  it("clearFailures resets the count but keeps an active block", async () => {
    for (let i = 0; i < 4; i++) await failed();
    await reserve(); // the attempt that succeeds
    await counter.clearFailures(KEY);
    expect(await reserve()).to.deep.equal({ allowed: true, failures: 1 });

    await counter.reset(KEY);
    await tripBlock();
    advance(60);
    await counter.clearFailures(KEY);
    expect(await reserve()).to.deep.equal({ allowed: false, retryAfterSeconds: 840, newlyBlocked: false });
    expect(await counter.blockedFor(KEY, clock.now())).to.equal(840);
  });

  it("reset lifts the block and forgets failures and escalation", async () => {
    await tripBlock();
    advance(900);
    await tripBlock(); // second block: 1800 s
    await counter.reset(KEY);
    expect(await counter.blockedFor(KEY, clock.now())).to.equal(0);
    expect(await tripBlock()).to.deep.equal({ allowed: false, retryAfterSeconds: 900, newlyBlocked: true });

    await counter.reset(KEY);
    for (let i = 0; i < 3; i++) await reserve();
    await counter.reset(KEY);
    expect(await reserve()).to.deep.equal({ allowed: true, failures: 1 });
  });

  it("block() refuses the key for the given seconds and blockedFor() counts down", async () => {
    expect(await counter.blockedFor(KEY, clock.now())).to.equal(0);
    await counter.block(KEY, 120, clock.now());
    expect(await counter.blockedFor(KEY, clock.now())).to.equal(120);
    clock.advance(30_500);
    expect(await counter.blockedFor(KEY, clock.now())).to.equal(90); // rounds up
    expect(await reserve()).to.deep.equal({ allowed: false, retryAfterSeconds: 90, newlyBlocked: false });
    clock.advance(89_500);
    expect(await counter.blockedFor(KEY, clock.now())).to.equal(0);
    expect(await reserve()).to.deep.equal({ allowed: true, failures: 1 });
  });

  it("block() keeps the escalation count and never shortens a longer block", async () => {
    await tripBlock(); // first block, 900 s
    await counter.block(KEY, 60, clock.now());
    expect(await counter.blockedFor(KEY, clock.now())).to.equal(900);
    advance(900);
    await counter.block(KEY, 60, clock.now());
    advance(60);
    expect(await tripBlock()).to.include({ retryAfterSeconds: 1800 });
  });

  it("knownBlockedFor, when it answers, agrees with blockedFor, and never reports a block lifted here or ended", async () => {
    const known = () => counter.knownBlockedFor(KEY, clock.now());
    expect(known() ?? 0).to.equal(0);
    await counter.block(KEY, 120, clock.now());
    expect(await counter.blockedFor(KEY, clock.now())).to.equal(120);
    expect(known() ?? 120).to.equal(120);
    clock.advance(500);
    expect(known() ?? 120).to.equal(120);
    await counter.reset(KEY);
    expect(known() ?? 0).to.equal(0);
    expect(await tripBlock()).to.include({ allowed: false, retryAfterSeconds: 900 });
    expect(await counter.blockedFor(KEY, clock.now())).to.equal(900);
    expect(known() ?? 900).to.equal(900);
    advance(900);
    expect(known() ?? 0).to.equal(0);
    expect(await counter.blockedFor(KEY, clock.now())).to.equal(0);
  });

  it("keeps keys independent", async () => {
    const other = "email:bob@example.com";
    await tripBlock();
    expect(await reserve(other)).to.deep.equal({ allowed: true, failures: 1 });
    expect(await counter.blockedFor(other, clock.now())).to.equal(0);
    await counter.reset(other);
    await counter.clearFailures(other);
    expect(await counter.blockedFor(KEY, clock.now())).to.equal(900);
    await counter.block(other, 30, clock.now());
    await counter.reset(KEY);
    expect(await counter.blockedFor(other, clock.now())).to.equal(30);
    expect(await reserve()).to.deep.equal({ allowed: true, failures: 1 });
  });
}
