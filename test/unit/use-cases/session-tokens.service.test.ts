import { expect } from "chai";
import { InvalidTokenError } from "../../../src/domain/errors.js";
import { buildUseCases, TEST_META, type UseCaseHarness } from "../../support/use-case-harness.js";

const DAY_MS = 24 * 3600_000;
const USER = { id: "11111111-1111-4111-8111-111111111111", role: "user" as const, deactivatedAt: null };

describe("SessionTokens (service)", () => {
  let h: UseCaseHarness;
  beforeEach(() => {
    h = buildUseCases();
  });

  it("starts a live session and returns a pair bound to it", async () => {
    const now = h.clock.now();
    const { session, tokens } = await h.sessionTokens.start(USER, TEST_META, now);

    const stored = await h.sessions.get(session.id);
    expect(stored).to.not.equal(null);
    expect(stored!.userId).to.equal(USER.id);
    expect(stored!.expiresAt.getTime()).to.equal(now.getTime() + 7 * DAY_MS);
    expect(stored!.absoluteExpiresAt.getTime()).to.equal(now.getTime() + 30 * DAY_MS);
    expect(tokens.refreshTokenExpiresAt.getTime()).to.equal(stored!.expiresAt.getTime());

    expect(tokens.refreshToken).to.match(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{32,}$/);
    expect(h.sessionTokens.parseRefreshToken(tokens.refreshToken)).to.deep.equal({ sessionId: session.id });
    // Stored only as a keyed hash that matches the token and nothing else.
    expect(stored!.refreshTokenHash).to.not.contain(tokens.refreshToken.split(".")[1]!);
    expect(h.sessionTokens.matches(tokens.refreshToken, stored!.refreshTokenHash)).to.equal(true);
    expect(h.sessionTokens.matches(`${tokens.refreshToken}x`, stored!.refreshTokenHash)).to.equal(false);

    expect(h.accessTokens.verify(tokens.accessToken, now)).to.deep.equal({
      userId: USER.id,
      sessionId: session.id,
      role: "user",
    });
  });

  it("gives every session its own id and refresh token", async () => {
    const a = await h.sessionTokens.start(USER, TEST_META, h.clock.now());
    const b = await h.sessionTokens.start(USER, TEST_META, h.clock.now());
    expect(a.session.id).to.not.equal(b.session.id);
    expect(a.tokens.refreshToken).to.not.equal(b.tokens.refreshToken);
  });

  it("caps a stored user agent at 512 characters", async () => {
    const { session } = await h.sessionTokens.start(USER, { ip: null, userAgent: "x".repeat(5000) }, h.clock.now());
    expect((await h.sessions.get(session.id))!.userAgent).to.have.length(512);
  });

  it("refuses anything not shaped like a refresh token", () => {
    const id = "22222222-2222-4222-8222-222222222222";
    for (const bad of ["", "x", id, `${id}.`, `${id}.short`, `${id}.${"a".repeat(32)}.x`, `nothex-2222-4222-8222-222222222222.${"a".repeat(32)}`, `${id}.${"a".repeat(31)}+`]) {
      expect(() => h.sessionTokens.parseRefreshToken(bad), bad).to.throw(InvalidTokenError);
    }
    expect(h.sessionTokens.parseRefreshToken(`${id}.${"a".repeat(32)}`)).to.deep.equal({ sessionId: id });
  });

  it("derives a successor deterministically, in the same session, different each step", async () => {
    const { tokens, session } = await h.sessionTokens.start(USER, TEST_META, h.clock.now());
    const next = h.sessionTokens.successorOf(tokens.refreshToken);
    expect(next).to.equal(h.sessionTokens.successorOf(tokens.refreshToken));
    expect(next).to.not.equal(tokens.refreshToken);
    expect(h.sessionTokens.parseRefreshToken(next)).to.deep.equal({ sessionId: session.id });
    expect(h.sessionTokens.successorOf(next)).to.not.equal(next);
  });

  it("keys the successor with the server secret: another deployment derives a different one", async () => {
    const other = buildUseCases();
    const token = `33333333-3333-4333-8333-333333333333.${"b".repeat(43)}`;
    expect(h.sessionTokens.successorOf(token)).to.equal(other.sessionTokens.successorOf(token));
    const { HmacKeyedHasher } = await import("../../../src/adapters/security/hmac-keyed.hasher.js");
    const { SessionTokens } = await import("../../../src/application/services/session-tokens.service.js");
    const foreign = new SessionTokens(h.sessions, h.accessTokens, new HmacKeyedHasher("a-different-refresh-secret-0123456789"), h.random, h.settings);
    expect(foreign.successorOf(token)).to.not.equal(h.sessionTokens.successorOf(token));
  });

  it("never moves the idle expiry past the absolute one", () => {
    const now = h.clock.now();
    const absolute = new Date(now.getTime() + 2 * DAY_MS);
    expect(h.sessionTokens.nextIdleExpiry(now, absolute).getTime()).to.equal(absolute.getTime());
    const far = new Date(now.getTime() + 30 * DAY_MS);
    expect(h.sessionTokens.nextIdleExpiry(now, far).getTime()).to.equal(now.getTime() + 7 * DAY_MS);
  });

  it("takes the grace window from the settings", () => {
    expect(h.sessionTokens.graceMs).to.equal(10_000);
    expect(buildUseCases({ settings: { refreshReuseGraceSeconds: 3 } }).sessionTokens.graceMs).to.equal(3_000);
  });
});
