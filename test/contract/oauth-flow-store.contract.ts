import { expect } from "chai";
import type { OAuthFlowStore } from "../../src/adapters/oauth/oauth-flow.store.js";
import type { ManualClock } from "../support/manual-clock.js";

export interface OAuthFlowStoreFixture {
  adapter: OAuthFlowStore;
  clock: ManualClock;
  cleanup: () => Promise<void>;
}

/** Registers the OAuthFlowStore contract; call inside a `describe` once per adapter. */
export function oauthFlowStoreContract(factory: () => Promise<OAuthFlowStoreFixture>): void {
  let store: OAuthFlowStore;
  let clock: ManualClock;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ adapter: store, clock, cleanup } = await factory());
  });

  afterEach(async () => {
    await cleanup();
  });

  it("hands a value out exactly once", async () => {
    await store.put("flow:a", '{"mode":"cookie"}', 600, clock.now());
    expect(await store.take("flow:a", clock.now())).to.equal('{"mode":"cookie"}');
    expect(await store.take("flow:a", clock.now())).to.equal(null);
  });

  it("answers null for an unknown key", async () => {
    expect(await store.take("flow:nothing", clock.now())).to.equal(null);
  });

  it("keeps a value until its time is up by the caller's clock, and not a moment longer", async () => {
    await store.put("flow:b", "one", 600, clock.now());
    await store.put("flow:c", "two", 600, clock.now());
    clock.advance(600_000 - 1);
    expect(await store.take("flow:b", clock.now())).to.equal("one");
    clock.advance(1);
    expect(await store.take("flow:c", clock.now())).to.equal(null);
  });

  it("a second put under the same key replaces the first", async () => {
    await store.put("flow:d", "old", 60, clock.now());
    await store.put("flow:d", "new", 60, clock.now());
    expect(await store.take("flow:d", clock.now())).to.equal("new");
  });

  it("gives a value to one of many parallel takers only", async () => {
    await store.put("flow:e", "prize", 60, clock.now());
    const results = await Promise.all(Array.from({ length: 20 }, () => store.take("flow:e", clock.now())));
    expect(results.filter((r) => r !== null)).to.deep.equal(["prize"]);
  });

  it("keeps keys apart", async () => {
    await store.put("flow:f", "f", 60, clock.now());
    await store.put("handoff:f", "h", 60, clock.now());
    expect(await store.take("handoff:f", clock.now())).to.equal("h");
    expect(await store.take("flow:f", clock.now())).to.equal("f");
  });
}
