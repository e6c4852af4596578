import { expect } from "chai";
import { InvalidTokenError, SessionRevokedError } from "../../../src/domain/errors.js";
import { buildUseCases, rejectionOf, TEST_META, type UseCaseHarness } from "../../support/use-case-harness.js";

const PASSWORD = "correct horse battery";

describe("SignOut", () => {
  let h: UseCaseHarness;
  let grant: Awaited<ReturnType<UseCaseHarness["registerAndSignIn"]>>;
  let other: Awaited<ReturnType<UseCaseHarness["registerAndSignIn"]>>;
  beforeEach(async () => {
    h = buildUseCases();
    grant = await h.registerAndSignIn("alice@example.com", PASSWORD);
    // A second session of the same user, which signing out of the first must leave alone.
    other = await h.signIn.execute({ email: "alice@example.com", password: PASSWORD, meta: TEST_META });
  });

  async function isLive(sessionId: string): Promise<boolean> {
    return (await h.sessions.get(sessionId)) !== null;
  }

  it("ends the session named by the access token, and only that one", async () => {
    const out = await h.signOut.execute({ accessToken: grant.tokens.accessToken });
    expect(out).to.deep.equal({ sessionId: grant.session.id });
    expect(await isLive(grant.session.id)).to.equal(false);
    expect(await isLive(other.session.id)).to.equal(true);
    expect(await rejectionOf(h.authenticate.execute({ accessToken: grant.tokens.accessToken }))).to.be.instanceOf(
      SessionRevokedError,
    );
    expect(await rejectionOf(h.rotateRefreshToken.execute({ refreshToken: grant.tokens.refreshToken }))).to.be.instanceOf(
      InvalidTokenError,
    );
  });

  it("ends the session with only the refresh token (e.g. the access token has expired)", async () => {
    const out = await h.signOut.execute({ refreshToken: grant.tokens.refreshToken });
    expect(out).to.deep.equal({ sessionId: grant.session.id });
    expect(await isLive(grant.session.id)).to.equal(false);
    expect(await isLive(other.session.id)).to.equal(true);
  });

  it("falls back to the refresh token when the access token has expired", async () => {
    h.clock.advance(16 * 60_000);
    const out = await h.signOut.execute({ accessToken: grant.tokens.accessToken, refreshToken: grant.tokens.refreshToken });
    expect(out.sessionId).to.equal(grant.session.id);
    expect(await isLive(grant.session.id)).to.equal(false);
  });

  it("succeeds with nothing and ends nothing", async () => {
    expect(await h.signOut.execute({})).to.deep.equal({ sessionId: null });
    expect(await h.signOut.execute({ accessToken: null, refreshToken: null })).to.deep.equal({ sessionId: null });
    expect(await isLive(grant.session.id)).to.equal(true);
    expect(await isLive(other.session.id)).to.equal(true);
  });

  it("succeeds with garbage tokens and ends nothing", async () => {
    const out = await h.signOut.execute({ accessToken: "garbage", refreshToken: "also.garbage" });
    expect(out).to.deep.equal({ sessionId: null });
    expect(await isLive(grant.session.id)).to.equal(true);
  });

  it("is idempotent: a second sign-out succeeds and reports nothing ended", async () => {
    await h.signOut.execute({ accessToken: grant.tokens.accessToken, refreshToken: grant.tokens.refreshToken });
    const again = await h.signOut.execute({ accessToken: grant.tokens.accessToken, refreshToken: grant.tokens.refreshToken });
    expect(again).to.deep.equal({ sessionId: null });
    expect(await isLive(other.session.id)).to.equal(true);
  });

  it("does not end the session for a stale (rotated-out) refresh token", async () => {
    const rotated = await h.rotateRefreshToken.execute({ refreshToken: grant.tokens.refreshToken });
    const out = await h.signOut.execute({ refreshToken: grant.tokens.refreshToken });
    expect(out).to.deep.equal({ sessionId: null });
    expect(await isLive(grant.session.id)).to.equal(true);
    // The holder of the current token is unaffected.
    await h.rotateRefreshToken.execute({ refreshToken: rotated.tokens.refreshToken });
  });

  it("does not end the session for a refresh token with the right session id but a forged secret", async () => {
    const [sessionId, secret] = grant.tokens.refreshToken.split(".") as [string, string];
    const forged = `${sessionId}.${(secret.startsWith("A") ? "B" : "A") + secret.slice(1)}`;
    expect(await h.signOut.execute({ refreshToken: forged })).to.deep.equal({ sessionId: null });
    expect(await isLive(grant.session.id)).to.equal(true);
  });
});
