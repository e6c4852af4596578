import { expect } from "chai";
import { InvalidTokenError, SessionRevokedError, UserNotFoundError } from "../../../src/domain/errors.js";
import { buildUseCases, rejectionOf, type UseCaseHarness } from "../../support/use-case-harness.js";

describe("AuthenticateAccessToken", () => {
  let h: UseCaseHarness;
  let grant: Awaited<ReturnType<UseCaseHarness["registerAndSignIn"]>>;
  beforeEach(async () => {
    h = buildUseCases();
    grant = await h.registerAndSignIn("alice@example.com");
  });

  it("accepts a valid token of a live session and names user, session and role", async () => {
    const out = await h.authenticate.execute({ accessToken: grant.tokens.accessToken });
    const { user, ...rest } = out;
    expect(rest).to.deep.equal({ userId: grant.user.id, sessionId: grant.session.id, role: "user" });
    expect(user).to.deep.equal(await h.users.findById(grant.user.id));
  });

  it("hands back the account as it is now, not as it was at sign-in", async () => {
    await h.users.update(grant.user.id, { name: "Alice Renamed" });
    const out = await h.authenticate.execute({ accessToken: grant.tokens.accessToken });
    expect(out.user.name).to.equal("Alice Renamed");
  });

  it("refuses a live session whose account is gone or deactivated (the session outlived it)", async () => {
    await h.users.update(grant.user.id, { deactivatedAt: h.clock.now() });
    expect(await rejectionOf(h.authenticate.execute({ accessToken: grant.tokens.accessToken }))).to.be.instanceOf(SessionRevokedError);
    await h.users.delete(grant.user.id);
    expect(await rejectionOf(h.authenticate.execute({ accessToken: grant.tokens.accessToken }))).to.be.instanceOf(SessionRevokedError);
    expect(await h.sessions.get(grant.session.id), "the session itself was left alone").to.not.equal(null);
  });

  it("still accepts the token just before its 15 minutes are up", async () => {
    h.clock.advance(15 * 60_000 - 1_000);
    const out = await h.authenticate.execute({ accessToken: grant.tokens.accessToken });
    expect(out.sessionId).to.equal(grant.session.id);
  });

  it("refuses a token whose session was revoked, at once, with SessionRevokedError", async () => {
    await h.sessions.revoke(grant.session.id);
    const err = await rejectionOf(h.authenticate.execute({ accessToken: grant.tokens.accessToken }));
    expect(err).to.be.instanceOf(SessionRevokedError);
  });

  it("refuses a token after sign-out", async () => {
    await h.signOut.execute({ accessToken: grant.tokens.accessToken });
    const err = await rejectionOf(h.authenticate.execute({ accessToken: grant.tokens.accessToken }));
    expect(err).to.be.instanceOf(SessionRevokedError);
  });

  it("refuses an expired token (16 minutes later) with InvalidTokenError, though the session lives", async () => {
    h.clock.advance(16 * 60_000);
    const err = await rejectionOf(h.authenticate.execute({ accessToken: grant.tokens.accessToken }));
    expect(err).to.be.instanceOf(InvalidTokenError);
    expect(await h.sessions.get(grant.session.id)).to.not.equal(null);
  });

  it("refuses garbage and tampered tokens with InvalidTokenError", async () => {
    const [header, payload, signature] = grant.tokens.accessToken.split(".");
    const flipped = (signature!.startsWith("A") ? "B" : "A") + signature!.slice(1);
    for (const accessToken of ["", "garbage", "a.b.c", `${header}.${payload}.${flipped}`, grant.tokens.refreshToken]) {
      const err = await rejectionOf(h.authenticate.execute({ accessToken }));
      expect(err, accessToken).to.be.instanceOf(InvalidTokenError);
    }
  });

  it("refuses a token whose session belongs to someone else", async () => {
    const bob = await h.registerAndSignIn("bob@example.com");
    // Signed with our own key, so only the session-owner check can catch it.
    const forged = h.accessTokens.issue({ userId: grant.user.id, sessionId: bob.session.id, role: "user" }, h.clock.now());
    const err = await rejectionOf(h.authenticate.execute({ accessToken: forged.token }));
    expect(err).to.be.instanceOf(SessionRevokedError);
  });

  it("records activity: lastUsedAt moves forward when the session is used after a while", async () => {
    h.clock.advance(5 * 60_000);
    const used = h.clock.now();
    await h.authenticate.execute({ accessToken: grant.tokens.accessToken });
    await h.flushBackground();
    const session = await h.sessions.get(grant.session.id);
    expect(session!.lastUsedAt.getTime()).to.equal(used.getTime());
  });
});

describe("GetProfile", () => {
  it("returns the signed-in user", async () => {
    const h = buildUseCases();
    const grant = await h.registerAndSignIn("alice@example.com");
    const { user } = await h.getProfile.execute({ userId: grant.user.id });
    expect(user.id).to.equal(grant.user.id);
    expect(user.email).to.equal("alice@example.com");
    expect(user.isEmailVerified).to.equal(true);
    expect(user.lastLoginAt?.getTime()).to.equal(h.clock.now().getTime());
  });

  it("answers an unknown user id with UserNotFoundError", async () => {
    const h = buildUseCases();
    const err = await rejectionOf(h.getProfile.execute({ userId: "00000000-0000-4000-8000-000000000000" }));
    expect(err).to.be.instanceOf(UserNotFoundError);
  });
});
