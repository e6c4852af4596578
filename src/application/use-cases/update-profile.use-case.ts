import { inject, injectable } from "tsyringe";
import {
  AccountDeactivatedError,
  DomainError,
  StorageUnavailableError,
  UserNotFoundError,
  ValidationError,
} from "../../domain/errors.js";
import { NAME_MAX_LENGTH, type User } from "../../domain/user.entity.js";
import { inBackground } from "../background.js";
import type { AvatarContentType, AvatarStorage, StoredAvatar } from "../ports/avatar-storage.port.js";
import type { Logger } from "../ports/logger.port.js";
import type { Clock } from "../ports/security.port.js";
import type { UserChanges, UserRepository } from "../ports/user-repository.port.js";
import type { RequestMeta } from "../request-context.js";
import { AuditTrail } from "../services/audit-trail.service.js";
import { TOKENS } from "../tokens.js";

export interface UpdateProfileInput {
  userId: string;
  name?: string;
  /** contentType is what the bytes are (sniffed by the driver), never what the client declared. */
  avatar?: { bytes: Uint8Array; contentType: AvatarContentType };
  meta: RequestMeta;
}

export interface UpdateProfileOutput {
  user: User;
}

/**
 * Store the new image → update the row → remove the old image. In that order, a failure at any
 * step leaves the profile pointing at an image that exists: a failed store changes nothing, a
 * failed row update removes the image it just stored, and the old image goes only once nothing
 * refers to it any more.
 */
@injectable()
export class UpdateProfile {
  constructor(
    @inject(TOKENS.UserRepository) private readonly users: UserRepository,
    @inject(TOKENS.AvatarStorage) private readonly avatars: AvatarStorage,
    @inject(AuditTrail) private readonly audit: AuditTrail,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  async execute(input: UpdateProfileInput): Promise<UpdateProfileOutput> {
    const name = input.name === undefined ? undefined : input.name.trim();
    if (name !== undefined && (name.length === 0 || name.length > NAME_MAX_LENGTH))
      throw ValidationError.field("name", `Must be 1 to ${NAME_MAX_LENGTH} characters`);
    if (name === undefined && !input.avatar) throw ValidationError.field("body", "Send a name, an avatar, or both");

    const user = await this.users.findById(input.userId);
    if (!user) throw new UserNotFoundError();
    // The HTTP route already refuses restricted sessions; other drivers get the same rule here.
    if (user.deactivatedAt) throw new AccountDeactivatedError();

    const stored = input.avatar ? await this.store(user.id, input.avatar) : null;
    const changes: UserChanges = { updatedAt: this.clock.now() };
    if (name !== undefined) changes.name = name;
    if (stored) changes.avatar = { url: stored.url, key: stored.key };

    let updated: User | null;
    try {
      updated = await this.users.update(user.id, changes);
    } catch (err) {
      if (stored) this.removeQuietly(stored.key, "avatar:remove-unused");
      throw err;
    }
    if (!updated) {
      if (stored) this.removeQuietly(stored.key, "avatar:remove-unused");
      throw new UserNotFoundError();
    }

    const previous = user.avatar;
    if (stored && previous && previous.key !== stored.key) this.removeQuietly(previous.key, "avatar:remove-previous");

    const fields = [...(name !== undefined ? ["name"] : []), ...(stored ? ["avatar"] : [])];
    this.audit.record("profile-updated", user.id, input.meta, { fields });
    return { user: updated };
  }

  private async store(userId: string, avatar: NonNullable<UpdateProfileInput["avatar"]>): Promise<StoredAvatar> {
    try {
      return await this.avatars.store({ userId, bytes: avatar.bytes, contentType: avatar.contentType });
    } catch (err) {
      if (err instanceof DomainError) throw err;
      // An adapter that breaks its contract still must not turn a storage outage into a 500.
      this.logger.warn({ err }, "avatar storage failed with an unexpected error");
      throw new StorageUnavailableError();
    }
  }

  /** Best effort and off the request path: an orphaned image costs storage, never the update. */
  private removeQuietly(key: string, what: string): void {
    inBackground(this.logger, what, () => this.avatars.remove(key));
  }
}
