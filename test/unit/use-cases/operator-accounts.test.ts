import "reflect-metadata";
import { expect } from "chai";
import { ACCOUNT_SETTINGS, type AccountSettings } from "../../../src/application/account-settings.js";
import { TOKENS } from "../../../src/application/tokens.js";
import { CreateVerifiedUser } from "../../../src/application/use-cases/create-verified-user.use-case.js";
import { DeactivateAccount } from "../../../src/application/use-cases/deactivate-account.use-case.js";
import { EraseAccount } from "../../../src/application/use-cases/erase-account.use-case.js";
import { RestoreAccount } from "../../../src/application/use-cases/restore-account.use-case.js";
import { EmailTakenError, ReactivationWindowClosedError, ServiceUnavailableError, UserNotFoundError } from "../../../src/domain/errors.js";
import { FakeAvatarStorage } from "../../support/fake-avatar.storage.js";
import { buildUseCases, rejectionOf } from "../../support/use-case-harness.js";

const PASSWORD = "correct horse battery";
const DAY = 24 * 3600_000;

function setup() {
  const h = buildUseCases();
  const avatars = new FakeAvatarStorage();
  h.container.register(TOKENS.AvatarStorage, { useValue: avatars });
  h.container.register<AccountSettings>(ACCOUNT_SETTINGS, { useValue: { retentionDays: 7 } });
  return {
    h,
    avatars,
    create: h.container.resolve(CreateVerifiedUser),
    deactivate: h.container.resolve(DeactivateAccount),
    erase: h.container.resolve(EraseAccount),
    restore: h.container.resolve(RestoreAccount),
  };
}

describe("Operator account use cases", () => {
  it("CreateVerifiedUser refuses an address with a pending (unverified) sign-up instead of taking it over", async () => {
    const s = setup();
    await s.h.signUp.execute({ name: "Pending", email: "pat@example.com", password: PASSWORD });
    const err = await rejectionOf(s.create.execute({ name: "Op", email: "PAT@example.com", password: "another password" }));
    expect(err).to.be.instanceOf(EmailTakenError);
    expect((await s.h.users.findByEmail("pat@example.com"))!.name).to.equal("Pending");
  });

  it("operator actions are audited as such, never with secrets", async () => {
    const s = setup();
    const { user } = await s.create.execute({ name: "Ann", email: "ann@example.com", password: PASSWORD });
    await s.deactivate.execute({ email: "ann@example.com" });
    await s.restore.execute({ email: "ann@example.com" });
    await s.h.flushBackground();
    const trail = await s.h.auditLog.listForUser(user.id, 10);
    expect(trail.map((e) => [e.event, e.details.by])).to.have.deep.members([
      ["sign-up", "operator"],
      ["account-soft-deleted", "operator"],
      ["account-reactivated", "operator"],
    ]);
    expect(JSON.stringify(trail)).to.not.include(PASSWORD);
  });

  it("EraseAccount takes a deactivated account too, with its avatar, sessions and trail", async () => {
    const s = setup();
    const { user } = await s.create.execute({ name: "Bea", email: "bea@example.com", password: PASSWORD });
    await s.h.users.update(user.id, { avatar: s.avatars.seed("avatars/bea") });
    await s.h.signIn.execute({ email: "bea@example.com", password: PASSWORD, meta: { ip: null, userAgent: null } });
    await s.deactivate.execute({ email: "bea@example.com" });
    const out = await s.erase.execute({ email: "bea@example.com" });
    expect(out.userId).to.equal(user.id);
    expect(s.avatars.removed).to.deep.equal(["avatars/bea"]);
    expect(await s.h.users.findById(user.id)).to.equal(null);
    await s.h.flushBackground();
    expect(await s.h.auditLog.listForUser(user.id, 10)).to.deep.equal([]);
    expect(s.h.mailer.last("bea@example.com")?.tag).to.equal("account-deleted");
    expect(await rejectionOf(s.erase.execute({ email: "bea@example.com" }))).to.be.instanceOf(UserNotFoundError);
  });

  it("EraseAccount leaves the account whole when the image store is down", async () => {
    const s = setup();
    const { user } = await s.create.execute({ name: "Cal", email: "cal@example.com", password: PASSWORD });
    await s.h.users.update(user.id, { avatar: s.avatars.seed("avatars/cal") });
    s.avatars.failRemove = true;
    expect(await rejectionOf(s.erase.execute({ email: "cal@example.com" }))).to.be.instanceOf(ServiceUnavailableError);
    expect((await s.h.users.findById(user.id))?.avatar?.key).to.equal("avatars/cal");
  });

  it("RestoreAccount follows the retention window of the deletion policy", async () => {
    const s = setup();
    await s.create.execute({ name: "Dan", email: "dan@example.com", password: PASSWORD });
    const { purgeAfter, deactivatedAt } = await s.deactivate.execute({ email: "dan@example.com" });
    expect(purgeAfter.getTime() - deactivatedAt.getTime()).to.equal(7 * DAY);
    s.h.clock.advance(7 * DAY);
    expect(await rejectionOf(s.restore.execute({ email: "dan@example.com" }))).to.be.instanceOf(ReactivationWindowClosedError);
  });
});
