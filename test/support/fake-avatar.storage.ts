import type { AvatarContentType, AvatarStorage, StoredAvatar } from "../../src/application/ports/avatar-storage.port.js";
import { ServiceUnavailableError } from "../../src/domain/errors.js";

/** An AvatarStorage for tests: remembers what is stored and removed, and can be made to fail. */
export class FakeAvatarStorage implements AvatarStorage {
  readonly #stored = new Set<string>();
  readonly #removed: string[] = [];
  /** Keys whose removal fails as if the image store were down; all keys when true. */
  failRemove: boolean | Set<string> = false;
  #n = 0;

  /** Every key removal that succeeded, repeats included. */
  get removed(): string[] {
    return [...this.#removed];
  }

  has(key: string): boolean {
    return this.#stored.has(key);
  }

  /** Puts an image in place directly, as the profile feature would have. */
  seed(key: string): StoredAvatar {
    this.#stored.add(key);
    return { key, url: `https://images.test/${key}` };
  }

  async store(input: { userId: string; bytes: Uint8Array; contentType: AvatarContentType }): Promise<StoredAvatar> {
    await Promise.resolve();
    return this.seed(`avatars/${input.userId}-${++this.#n}`);
  }

  async remove(key: string): Promise<void> {
    await Promise.resolve();
    if (this.failRemove === true || (this.failRemove instanceof Set && this.failRemove.has(key))) throw new ServiceUnavailableError("imageStorage");
    // Removing an image that is already gone succeeds, as the port requires.
    this.#stored.delete(key);
    this.#removed.push(key);
  }

  async ping(): Promise<void> {}
}
