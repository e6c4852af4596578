import { expect } from "chai";
import type { PasswordHasher } from "../../src/application/ports/security.port.js";
import { BoundedPasswordHasher } from "../../src/adapters/security/bounded-password.hasher.js";
import { ServiceUnavailableError } from "../../src/domain/errors.js";

/** A hasher whose calls finish only when the test releases them. */
class GatedHasher implements PasswordHasher {
  running = 0;
  peak = 0;
  readonly #gates: Array<() => void> = [];
  async #gate<T>(value: T): Promise<T> {
    this.running++;
    this.peak = Math.max(this.peak, this.running);
    await new Promise<void>((r) => this.#gates.push(r));
    this.running--;
    return value;
  }
  hash(p: string) {
    return this.#gate(`h:${p}`);
  }
  verify(p: string, h: string) {
    return this.#gate(h === `h:${p}`);
  }
  verifyDummy() {
    return this.#gate(undefined);
  }
  releaseAll() {
    for (const g of this.#gates.splice(0)) g();
  }
  get waiting() {
    return this.#gates.length;
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe("BoundedPasswordHasher", () => {
  it("runs at most `concurrency` hashes at once and queues the rest in order", async () => {
    const inner = new GatedHasher();
    const bounded = new BoundedPasswordHasher(inner, { concurrency: 2, maxQueue: 10 });
    const results = Array.from({ length: 6 }, (_, i) => bounded.hash(`p${i}`));
    await tick();
    expect(inner.running).to.equal(2);
    expect(bounded.stats).to.deep.equal({ running: 2, queued: 4 });
    while (inner.waiting > 0) {
      inner.releaseAll();
      await tick();
      await tick();
    }
    expect(await Promise.all(results)).to.deep.equal(["h:p0", "h:p1", "h:p2", "h:p3", "h:p4", "h:p5"]);
    expect(inner.peak).to.equal(2);
    expect(bounded.stats).to.deep.equal({ running: 0, queued: 0 });
  });

  it("refuses with 503 at once when the queue is full", async () => {
    const inner = new GatedHasher();
    const bounded = new BoundedPasswordHasher(inner, { concurrency: 1, maxQueue: 1 });
    const first = bounded.verify("a", "h:a");
    const second = bounded.verify("b", "h:b");
    let refused: unknown;
    await bounded.verifyDummy("c").catch((err: unknown) => (refused = err));
    expect(refused).to.be.instanceOf(ServiceUnavailableError);
    inner.releaseAll();
    await tick();
    inner.releaseAll();
    expect(await first).to.equal(true);
    expect(await second).to.equal(true);
  });

  it("frees the slot when a hash fails", async () => {
    const failing: PasswordHasher = {
      hash: async () => {
        throw new Error("boom");
      },
      verify: async () => true,
      verifyDummy: async () => undefined,
    };
    const bounded = new BoundedPasswordHasher(failing, { concurrency: 1, maxQueue: 0 });
    await bounded.hash("x").catch(() => undefined);
    expect(await bounded.verify("x", "y")).to.equal(true);
  });
});
