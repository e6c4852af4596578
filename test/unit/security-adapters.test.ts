import { expect } from "chai";
import { createHmac, generateKeyPairSync } from "node:crypto";
import jwt from "jsonwebtoken";
import type { AccessTokenClaims } from "../../src/application/ports/security.port.js";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { BcryptPasswordHasher } from "../../src/adapters/security/bcrypt-password.hasher.js";
import { BcryptWorkerThreads } from "../../src/adapters/security/bcrypt-worker.threads.js";
import { FastPasswordHasher } from "../../src/adapters/security/fast-password.hasher.js";
import { HmacKeyedHasher } from "../../src/adapters/security/hmac-keyed.hasher.js";
import { JwtAccessTokenIssuer } from "../../src/adapters/security/jwt-access-token.issuer.js";
import { NodeSecureRandom } from "../../src/adapters/security/node-secure.random.js";
import { SystemClock } from "../../src/adapters/security/system.clock.js";
import { InvalidTokenError } from "../../src/domain/errors.js";

const threads = new BcryptWorkerThreads({ threads: 2, nice: 19 });
after(() => threads.close());

for (const [engine, hasher] of [
  ["libuv's thread pool", new BcryptPasswordHasher(4)],
  ["threads of its own", new BcryptPasswordHasher(4, threads)],
] as const) describe(`BcryptPasswordHasher on ${engine}`, () => {

  it("verifies the password it hashed and refuses a wrong one", async () => {
    const hash = await hasher.hash("correct horse battery staple");
    expect(hash).to.match(/^\$2b\$04\$/);
    expect(hash).not.to.contain("correct horse");
    expect(await hasher.verify("correct horse battery staple", hash)).to.equal(true);
    expect(await hasher.verify("correct horse battery stapler", hash)).to.equal(false);
    expect(await hasher.verify("", hash)).to.equal(false);
  });

  it("salts: the same password hashes differently each time, and both verify", async () => {
    const [a, b] = await Promise.all([hasher.hash("s3cret-pass"), hasher.hash("s3cret-pass")]);
    expect(a).not.to.equal(b);
    expect(await hasher.verify("s3cret-pass", a)).to.equal(true);
    expect(await hasher.verify("s3cret-pass", b)).to.equal(true);
  });

  it("answers false, not an error, for a stored hash that is not bcrypt", async () => {
    expect(await hasher.verify("anything", "")).to.equal(false);
    expect(await hasher.verify("anything", "plaintext")).to.equal(false);
  });

  it("runs a dummy comparison that resolves, repeatedly and concurrently", async () => {
    await Promise.all([hasher.verifyDummy("a"), hasher.verifyDummy("b")]);
    await hasher.verifyDummy("c");
  });

  it("refuses a cost bcrypt cannot use", () => {
    expect(() => new BcryptPasswordHasher(3)).to.throw(RangeError);
    expect(() => new BcryptPasswordHasher(12.5)).to.throw(RangeError);
  });

  it("hashes against a hash from the other engine (the same bcrypt)", async () => {
    const other = engine === "threads of its own" ? new BcryptPasswordHasher(4) : new BcryptPasswordHasher(4, threads);
    expect(await hasher.verify("portable-password", await other.hash("portable-password"))).to.equal(true);
  });
});

describe("BcryptWorkerThreads", () => {
  /** The nice value of each of this process's threads, from /proc (Linux). */
  function niceValues(): number[] {
    return readdirSync("/proc/self/task").map((tid) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
    });
  }

  it("hashes on at most `threads` threads, each below the event loop's priority (Linux)", async function () {
    if (!existsSync("/proc/thread-self")) this.skip();
    const own = new BcryptWorkerThreads({ threads: 3, nice: 17 });
    try {
      const before = niceValues().filter((n) => n === 17).length;
      const hash = await own.hash("pw", 4);
      await Promise.all(Array.from({ length: 12 }, (_, i) => own.compare(`pw${i % 2 ? "" : "x"}`, hash)));
      expect(own.niced).to.equal(true);
      expect(niceValues().filter((n) => n === 17).length - before).to.equal(3);
      expect(niceValues()[0], "the main thread keeps its priority").to.equal(0);
    } finally {
      await own.close();
    }
  });

  it("rejects a job bcrypt refuses, and every job after close()", async () => {
    const own = new BcryptWorkerThreads({ threads: 1, nice: 0 });
    const err = await own.hash("pw", 99).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(Error);
    expect(await own.compare("pw", await own.hash("pw", 4))).to.equal(true);
    await own.close();
    expect(await own.compare("pw", "x").then(() => "resolved", () => "rejected")).to.equal("rejected");
  });

  it("refuses settings it cannot honour", () => {
    expect(() => new BcryptWorkerThreads({ threads: 0, nice: 0 })).to.throw(RangeError);
    expect(() => new BcryptWorkerThreads({ threads: 1, nice: 20 })).to.throw(RangeError);
  });
});

describe("FastPasswordHasher", () => {
  it("round-trips, refuses a wrong password and counts its calls", async () => {
    const hasher = new FastPasswordHasher();
    const hash = await hasher.hash("pw-1");
    expect(await hasher.verify("pw-1", hash)).to.equal(true);
    expect(await hasher.verify("pw-2", hash)).to.equal(false);
    await hasher.verifyDummy("pw-3");
    expect(hasher.calls).to.deep.equal({ hash: 1, verify: 2, dummy: 1 });
  });
});

describe("JwtAccessTokenIssuer", () => {
  const SECRET = "a-test-secret-that-is-at-least-32-characters-long";
  const options = { secret: SECRET, issuer: "hybrid-auth", audience: "hybrid-auth-clients", ttlSeconds: 900 };
  const issuer = new JwtAccessTokenIssuer(options);
  const claims: AccessTokenClaims = { userId: "user-1", sessionId: "session-1", role: "user" };
  // A frozen clock far from the real one: tokens must follow the passed time, not Date.now().
  const now = new Date("2001-02-03T04:05:06.789Z");
  const nowSeconds = Math.floor(now.getTime() / 1000);

  function validPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      sub: "user-1",
      sid: "session-1",
      role: "user",
      typ: "access",
      iss: options.issuer,
      aud: options.audience,
      iat: nowSeconds,
      exp: nowSeconds + 900,
      ...overrides,
    };
  }

  function expectInvalid(token: string, at: Date = now): void {
    expect(() => issuer.verify(token, at)).to.throw(InvalidTokenError);
  }

  function b64(value: object): string {
    return Buffer.from(JSON.stringify(value)).toString("base64url");
  }

  it("issues a token that verifies back to the same claims", () => {
    const issued = issuer.issue(claims, now);
    expect(issued.expiresAt.getTime()).to.equal((nowSeconds + 900) * 1000);
    expect(issuer.verify(issued.token, new Date(now.getTime() + 60_000))).to.deep.equal(claims);
  });

  it("after a token checked out, refuses altered copies of it and hands out claims it cannot be changed through", () => {
    const { token } = issuer.issue(claims, now);
    const first = issuer.verify(token, now);
    first.userId = "someone-else";
    expect(issuer.verify(token, now)).to.deep.equal(claims);
    const [header, payload, signature = ""] = token.split(".");
    const flipped = signature.slice(0, -2) + (signature.at(-2) === "A" ? "B" : "A") + signature.at(-1);
    expectInvalid(`${header}.${payload}.${flipped}`);
    expectInvalid(`${header}.${b64(validPayload({ sub: "user-2" }))}.${signature}`);
    expectInvalid(`${token} `);
    // Another issuer (another secret) remembers nothing of this one's tokens.
    const other = new JwtAccessTokenIssuer({ ...options, secret: `${SECRET}-other` });
    expect(() => other.verify(token, now)).to.throw(InvalidTokenError);
  });

  it("writes HS256 and the documented claims", () => {
    const { token } = issuer.issue(claims, now);
    const decoded = jwt.decode(token, { complete: true });
    expect(decoded?.header.alg).to.equal("HS256");
    expect(decoded?.payload).to.deep.equal(validPayload());
  });

  it("refuses the token from its expiry on, and accepts it just before", () => {
    const { token, expiresAt } = issuer.issue(claims, now);
    expect(issuer.verify(token, new Date(expiresAt.getTime() - 1000))).to.deep.equal(claims);
    expectInvalid(token, expiresAt);
    expectInvalid(token, new Date(expiresAt.getTime() + 3_600_000));
  });

  it("refuses a token whose nbf lies in the future", () => {
    expectInvalid(jwt.sign(validPayload({ nbf: nowSeconds + 60 }), SECRET, { algorithm: "HS256" }));
  });

  it("refuses an unsigned token (alg none)", () => {
    expectInvalid(`${b64({ alg: "none", typ: "JWT" })}.${b64(validPayload())}.`);
    expectInvalid(jwt.sign(validPayload(), "", { algorithm: "none" }));
  });

  it("refuses a token signed with HS512 even with the same secret", () => {
    expectInvalid(jwt.sign(validPayload(), SECRET, { algorithm: "HS512" }));
  });

  it("refuses an RS256 token", () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    expectInvalid(jwt.sign(validPayload(), privateKey, { algorithm: "RS256" }));
  });

  it("refuses a token whose signature was altered", () => {
    const { token } = issuer.issue(claims, now);
    const [header, payload, signature = ""] = token.split(".");
    // A middle character: the last one can carry padding bits that decode to the same bytes.
    const i = 10;
    const flipped = signature.slice(0, i) + (signature[i] === "A" ? "B" : "A") + signature.slice(i + 1);
    expectInvalid(`${header}.${payload}.${flipped}`);
  });

  it("refuses a token whose payload was altered under the original signature", () => {
    const { token } = issuer.issue(claims, now);
    const [header, , signature] = token.split(".");
    expectInvalid(`${header}.${b64(validPayload({ role: "admin" }))}.${signature}`);
  });

  it("refuses a token for another issuer or audience", () => {
    const otherIssuer = new JwtAccessTokenIssuer({ ...options, issuer: "someone-else" });
    const otherAudience = new JwtAccessTokenIssuer({ ...options, audience: "another-app" });
    expectInvalid(otherIssuer.issue(claims, now).token);
    expectInvalid(otherAudience.issue(claims, now).token);
  });

  it("refuses a token signed with another secret", () => {
    const other = new JwtAccessTokenIssuer({ ...options, secret: "another-secret-that-is-also-32-characters-long" });
    expectInvalid(other.issue(claims, now).token);
  });

  it("refuses garbage", () => {
    for (const token of ["", "garbage", "a.b.c", "...", "x".repeat(10_000)]) expectInvalid(token);
  });

  it("refuses a correctly signed token that lacks a required claim or is not an access token", () => {
    const sign = (payload: Record<string, unknown>) => jwt.sign(payload, SECRET, { algorithm: "HS256" });
    const without = (key: string) => {
      const payload = validPayload();
      delete payload[key];
      return payload;
    };
    expectInvalid(sign(without("sid")));
    expectInvalid(sign(without("sub")));
    expectInvalid(sign(without("role")));
    expectInvalid(sign(without("exp")));
    expectInvalid(sign(without("typ")));
    expectInvalid(sign(validPayload({ typ: "refresh" })));
    expectInvalid(sign(validPayload({ sid: "" })));
    // The control: the same construction with nothing removed passes.
    expect(issuer.verify(sign(validPayload()), now)).to.deep.equal(claims);
  });
});

describe("HmacKeyedHasher", () => {
  const hasher = new HmacKeyedHasher("server-secret-one-that-is-32-characters");

  it("is deterministic hex HMAC-SHA256 of namespace NUL value", () => {
    const digest = hasher.hash("otp:verify-email", "123456");
    expect(digest).to.equal(hasher.hash("otp:verify-email", "123456"));
    expect(digest).to.match(/^[0-9a-f]{64}$/);
    const expected = createHmac("sha256", "server-secret-one-that-is-32-characters")
      .update("otp:verify-email\u0000123456")
      .digest("hex");
    expect(digest).to.equal(expected);
  });

  it("separates namespaces, including where the concatenation would collide", () => {
    expect(hasher.hash("verify-email", "123456")).not.to.equal(hasher.hash("reset-password", "123456"));
    expect(hasher.hash("ab", "c")).not.to.equal(hasher.hash("a", "bc"));
  });

  it("separates secrets", () => {
    const other = new HmacKeyedHasher("server-secret-two-that-is-32-characters");
    expect(hasher.hash("ns", "value")).not.to.equal(other.hash("ns", "value"));
  });

  it("compares equal strings as equal and anything else as different, whatever the lengths", () => {
    const digest = hasher.hash("ns", "value");
    expect(hasher.equals(digest, hasher.hash("ns", "value"))).to.equal(true);
    expect(hasher.equals(digest, hasher.hash("ns", "other"))).to.equal(false);
    expect(hasher.equals(digest, digest.slice(0, -1))).to.equal(false);
    expect(hasher.equals(digest, `${digest}0`)).to.equal(false);
    expect(hasher.equals("", digest)).to.equal(false);
    expect(hasher.equals("", "")).to.equal(true);
  });
});

describe("NodeSecureRandom", () => {
  const random = new NodeSecureRandom();

  it("makes URL-safe tokens carrying the requested bytes", () => {
    const token = random.token(32);
    expect(token).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, "base64url")).to.have.length(32);
    expect(random.token(16)).to.have.length(22);
    expect(random.token(32)).not.to.equal(token);
  });

  it("makes digit strings of the requested length and nothing else", () => {
    for (const length of [1, 6, 12]) {
      for (let i = 0; i < 50; i++) expect(random.digits(length)).to.match(new RegExp(`^[0-9]{${length}}$`));
    }
  });

  it("draws each digit roughly uniformly, leading zeros included", () => {
    const counts = new Array<number>(10).fill(0);
    const draws = 10_000;
    for (let i = 0; i < draws; i++) {
      const first = Number(random.digits(6)[0]);
      counts[first] = (counts[first] ?? 0) + 1;
    }
    // Expected 1000 each, standard deviation 30: a 15% band does not flake, yet catches bias like % on a byte.
    for (const count of counts) expect(count).to.be.within(850, 1150);
  });

  it("makes unique v4 uuids", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) ids.add(random.uuid());
    expect(ids.size).to.equal(1000);
    for (const id of ids) expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("refuses lengths that are not positive integers", () => {
    expect(() => random.token(0)).to.throw(RangeError);
    expect(() => random.digits(-1)).to.throw(RangeError);
    expect(() => random.digits(1.5)).to.throw(RangeError);
  });
});

describe("SystemClock", () => {
  it("tells the current time, as a fresh Date each call", () => {
    const clock = new SystemClock();
    const before = Date.now();
    const a = clock.now();
    const b = clock.now();
    expect(a.getTime()).to.be.within(before, Date.now());
    expect(a).not.to.equal(b);
  });
});
