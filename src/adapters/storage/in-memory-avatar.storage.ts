import { randomBytes } from "node:crypto";
import type { AvatarContentType, AvatarStorage, StoredAvatar } from "../../application/ports/avatar-storage.port.js";
import { StorageUnavailableError } from "../../domain/errors.js";

const EXTENSION: Record<AvatarContentType, string> = {
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/webp": "webp",
  "image/gif": "gif",
};

export interface InMemoryAvatarStorageOptions {
  /** URL prefix put in front of every key (nothing serves it: embedders and tests only). */
  publicBaseUrl?: string;
}

/**
 * The avatar store of the all-in-memory build (library embedding, tests): nothing touches the
 * disk or the network. Images are copied in and out, and the store can be switched off to
 * behave like an unreachable image service.
 */
export class InMemoryAvatarStorage implements AvatarStorage {
  readonly #images = new Map<string, { bytes: Uint8Array; contentType: AvatarContentType }>();
  readonly #publicBaseUrl: string;
  #unavailable = false;

  constructor(options: InMemoryAvatarStorageOptions = {}) {
    this.#publicBaseUrl = (options.publicBaseUrl ?? "http://localhost/avatars").replace(/\/+$/, "");
  }

  /** A copy of the stored bytes, or null when the key is unknown or removed. */
  read(key: string): Uint8Array | null {
    const image = this.#images.get(key);
    return image ? new Uint8Array(image.bytes) : null;
  }

  get size(): number {
    return this.#images.size;
  }

  /** Simulates an unreachable image store: every call rejects with StorageUnavailableError. */
  setUnavailable(unavailable: boolean): void {
    this.#unavailable = unavailable;
  }

  async store(input: { userId: string; bytes: Uint8Array; contentType: AvatarContentType }): Promise<StoredAvatar> {
    await this.#check();
    const extension = EXTENSION[input.contentType];
    if (!extension) throw new TypeError(`not an avatar content type: ${String(input.contentType)}`);
    // Random, like the real stores: a key says nothing about the user and is never reused.
    const key = `${randomBytes(16).toString("hex")}.${extension}`;
    this.#images.set(key, { bytes: new Uint8Array(input.bytes), contentType: input.contentType });
    return { key, url: `${this.#publicBaseUrl}/${key}` };
  }

  async remove(key: string): Promise<void> {
    await this.#check();
    this.#images.delete(key);
  }

  async ping(): Promise<void> {
    await this.#check();
  }

  async #check(): Promise<void> {
    await Promise.resolve();
    if (this.#unavailable) throw new StorageUnavailableError();
  }
}
