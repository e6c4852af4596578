import { expect } from "chai";
import { InvalidTokenError, SessionRevokedError } from "../../../src/domain/errors.js";
import { buildUseCases, rejectionOf, type UseCaseHarness } from "../../support/use-case-harness.js";

const DAY_MS = 24 * 3600_000;

describe("RotateRefreshToken", () => {
  let h: UseCaseHarness;
  let grant: Awaited<ReturnType<UseCaseHarness["registerAndSignIn"]>>;
  let tokenA: string;
  beforeEach(async () => {
    h = buildUseCases();
    grant = await h.registerAndSignIn("Alice@example.com");
    tokenA = grant.tokens.refreshToken;
    h.mailer.clear();
  });

  function rotate(refreshToken: string) {
    return h.rotateRefreshToken.execute({ refreshToken });
  }

  async function reuseMails(): Promise<number> {
    await h.flushBackground();
    return h.mailer.sent.filter((m) => m.tag === "session-reuse").length;
  }

  it("returns a new pair for the same session, and the new access token authenticates", async () => {
    h.clock.advance(60_000);
    const out = await rotate(tokenA);
    expect(out.session.id).to.equal(grant.session.id);
    expect(out.user.id).to.equal(grant.user.id);
    expect(out.tokens.refreshToken).to.not.equal(tokenA);
    expect(out.tokens.refreshToken.startsWith(`${grant.session.id}.`)).to.equal(true);
    expect(out.tokens.accessToken).to.not.equal(grant.tokens.accessToken);
    expect(out.tokens.accessTokenExpiresAt.getTime()).to.equal(h.clock.now().getTime() + 15 * 60_000);
    expect(out.tokens.refreshTokenExpiresAt.getTime()).to.equal(h.clock.now().getTime() + 7 * DAY_MS);

    const auth = await h.authenticate.execute({ accessToken: out.tokens.accessToken });
    expect(auth.sessionId).to.equal(grant.session.id);
    expect(await h.sessions.listByUser(grant.user.id)).to.have.length(1);
  });

  it("gives the same successor to the old token inside the 10 s grace window", async () => {
    const first = await rotate(tokenA);
    h.clock.advance(9_000);
    const again = await rotate(tokenA);
    expect(again.tokens.refreshToken).to.equal(first.tokens.refreshToken);
    expect(again.session.id).to.equal(grant.session.id);
    expect(await reuseMails()).to.equal(0);
    // The successor is still the one current token.
    const next = await rotate(first.tokens.refreshToken);
    expect(next.tokens.refreshToken).to.not.equal(first.tokens.refreshToken);
  });

  it("treats the old token after the grace window as theft: session ended, owner mailed", async () => {
    const first = await rotate(tokenA);
    h.clock.advance(11_000);

    const err = await rejectionOf(rotate(tokenA));
    expect(err).to.be.instanceOf(SessionRevokedError);

    expect(await h.sessions.get(grant.session.id)).to.equal(null);
    expect(await h.sessions.listByUser(grant.user.id)).to.have.length(0);
    // The legitimate successor dies with the session, and so does the access token.
    expect(await rejectionOf(rotate(first.tokens.refreshToken))).to.be.instanceOf(InvalidTokenError);
    expect(await rejectionOf(h.authenticate.execute({ accessToken: first.tokens.accessToken }))).to.be.instanceOf(
      SessionRevokedError,
    );

    expect(await reuseMails()).to.equal(1);
    const mail = h.mailer.last(undefined, "session-reuse");
    expect(mail!.to).to.equal("Alice@example.com");
  });

  it("A→B→C, then A after the grace window kills the session holding C", async () => {
    const b = await rotate(tokenA);
    h.clock.advance(1_000);
    const c = await rotate(b.tokens.refreshToken);
    h.clock.advance(11_000);

    expect(await rejectionOf(rotate(tokenA))).to.be.instanceOf(SessionRevokedError);
    expect(await rejectionOf(rotate(c.tokens.refreshToken))).to.be.instanceOf(InvalidTokenError);
    expect(await h.sessions.get(grant.session.id)).to.equal(null);
    expect(await reuseMails()).to.equal(1);
  });

  it("A→B→C, then B after the grace window kills the session too", async () => {
    const b = await rotate(tokenA);
    h.clock.advance(20_000);
    const c = await rotate(b.tokens.refreshToken);
    h.clock.advance(20_000);

    expect(await rejectionOf(rotate(b.tokens.refreshToken))).to.be.instanceOf(SessionRevokedError);
    expect(await rejectionOf(rotate(c.tokens.refreshToken))).to.be.instanceOf(InvalidTokenError);
  });

  it("20 parallel rotations with one token all succeed with the identical successor; one live session", async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => rotate(tokenA)));
    const refreshTokens = new Set(results.map((r) => r.tokens.refreshToken));
    expect(refreshTokens.size).to.equal(1);
    expect([...refreshTokens][0]).to.not.equal(tokenA);
    expect(new Set(results.map((r) => r.session.id))).to.deep.equal(new Set([grant.session.id]));

    const live = await h.sessions.listByUser(grant.user.id);
    expect(live).to.have.length(1);
    expect(await reuseMails()).to.equal(0);
    // The shared successor works for the next rotation.
    await rotate([...refreshTokens][0]!);
  });

  it("refuses garbage and unknown tokens with InvalidTokenError and leaves the session alone", async () => {
    const [sessionId, secret] = tokenA.split(".") as [string, string];
    const otherSecret = (secret.startsWith("A") ? "B" : "A") + secret.slice(1);
    const garbage = [
      "",
      "garbage",
      "not.a.token",
      sessionId,
      `${sessionId}.short`,
      `${tokenA}.extra`,
      grant.tokens.accessToken,
      // Well-formed, but for a session that does not exist.
      `00000000-0000-4000-8000-000000000000.${secret}`,
      // The real session id with a secret it never issued: someone who knows the sid (it is
      // listed and in a cookie) must not be able to end the session with it.
      `${sessionId}.${otherSecret}`,
    ];
    for (const refreshToken of garbage) {
      const err = await rejectionOf(rotate(refreshToken));
      expect(err, refreshToken).to.be.instanceOf(InvalidTokenError);
    }
    expect(await h.sessions.get(grant.session.id)).to.not.equal(null);
    expect(await reuseMails()).to.equal(0);
    await rotate(tokenA);
  });

  it("expires after 7 idle days (+1 s) with InvalidTokenError", async () => {
    h.clock.advance(7 * DAY_MS + 1_000);
    const err = await rejectionOf(rotate(tokenA));
    expect(err).to.be.instanceOf(InvalidTokenError);
    expect(await h.sessions.listByUser(grant.user.id)).to.have.length(0);
  });

  it("slides the idle expiry on every rotation", async () => {
    h.clock.advance(6 * DAY_MS);
    const b = await rotate(tokenA);
    h.clock.advance(6 * DAY_MS);
    const c = await rotate(b.tokens.refreshToken);
    expect(c.session.id).to.equal(grant.session.id);
  });

  it("never lives past 30 days, however often it is rotated", async () => {
    let token = tokenA;
    let last: Awaited<ReturnType<typeof rotate>> | undefined;
    for (let day = 6; day <= 29; day += 6) {
      h.clock.advance(6 * DAY_MS);
      last = await rotate(token);
      token = last.tokens.refreshToken;
    }
    // Day 24: the idle expiry is capped at the absolute one.
    expect(last!.tokens.refreshTokenExpiresAt.getTime()).to.equal(grant.session.absoluteExpiresAt.getTime());
    h.clock.advance(5 * DAY_MS);
    last = await rotate(token);
    token = last.tokens.refreshToken;
    h.clock.advance(DAY_MS + 1_000); // day 30 + 1 s
    expect(await rejectionOf(rotate(token))).to.be.instanceOf(InvalidTokenError);
  });

  it("gives a deactivated account's session only a reactivate-scoped access token", async () => {
    await h.users.update(grant.user.id, { deactivatedAt: h.clock.now() });
    const out = await rotate(tokenA);
    const claims = await h.authenticate.execute({ accessToken: out.tokens.accessToken });
    expect(claims.scope).to.equal("reactivate");
  });

  it("ends the session when its user is gone", async () => {
    await h.users.delete(grant.user.id);
    const err = await rejectionOf(rotate(tokenA));
    expect(err).to.be.instanceOf(SessionRevokedError);
    expect(await h.sessions.get(grant.session.id)).to.equal(null);
  });

  it("never logs a refresh token", async () => {
    const b = await rotate(tokenA);
    h.clock.advance(11_000);
    await rejectionOf(rotate(tokenA));
    await h.flushBackground();
    const logs = h.logger.text();
    expect(logs).to.not.contain(tokenA.split(".")[1]!);
    expect(logs).to.not.contain(b.tokens.refreshToken.split(".")[1]!);
  });
});
