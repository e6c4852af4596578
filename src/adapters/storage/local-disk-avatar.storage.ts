import { randomBytes } from "node:crypto";
import { constants as fsConstants, type ReadStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import type { AvatarContentType, AvatarStorage, StoredAvatar } from "../../application/ports/avatar-storage.port.js";
import { StorageUnavailableError } from "../../domain/errors.js";

export interface LocalDiskAvatarStorageOptions {
  /** Where the files live (DATA_DIR/avatars by default). Created on first use. */
  dir: string;
  /** URL prefix the app serves the files under, e.g. `${PUBLIC_URL}/api/v1/avatars`. */
  publicBaseUrl: string;
}

const EXTENSION: Record<AvatarContentType, string> = {
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/webp": "webp",
  "image/gif": "gif",
};
const CONTENT_TYPE: Record<string, AvatarContentType> = { jpg: "image/jpeg", png: "image/png", webp: "image/webp", gif: "image/gif" };

/**
 * Every name this store hands out, and the only names it will ever read or delete: a request for
 * "../secrets.json" or "x.html" is not a path, it is simply not one of ours.
 */
const FILE_NAME = /^[a-f0-9]{32}\.(jpg|png|webp|gif)$/;

export interface AvatarFile {
  stream: ReadStream;
  size: number;
  contentType: AvatarContentType;
}

/**
 * The zero-config default: random file names (nothing guessable, nothing about the user), the
 * extension of what the bytes really are, and a write that is atomic (temp file + rename), so a
 * reader never sees half an image and a crash leaves no partial avatar behind.
 */
export class LocalDiskAvatarStorage implements AvatarStorage {
  readonly dir: string;
  private readonly publicBaseUrl: string;

  constructor(options: LocalDiskAvatarStorageOptions) {
    this.dir = path.resolve(options.dir);
    this.publicBaseUrl = options.publicBaseUrl.replace(/\/+$/, "");
  }

  async store(input: { userId: string; bytes: Uint8Array; contentType: AvatarContentType }): Promise<StoredAvatar> {
    const extension = EXTENSION[input.contentType];
    if (!extension) throw new TypeError(`not an avatar content type: ${String(input.contentType)}`);
    const name = `${randomBytes(16).toString("hex")}.${extension}`;
    const temp = path.join(this.dir, `.${name}.${randomBytes(4).toString("hex")}.tmp`);
    try {
      await fs.mkdir(this.dir, { recursive: true });
      const handle = await fs.open(temp, "wx", 0o644);
      try {
        await handle.writeFile(input.bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temp, path.join(this.dir, name));
    } catch (err) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw new StorageUnavailableError(`Could not store the image (${(err as NodeJS.ErrnoException).code ?? "write failed"})`);
    }
    return { url: `${this.publicBaseUrl}/${name}`, key: name };
  }

  async remove(key: string): Promise<void> {
    // Not a name this store hands out (an id from another storage, a tampered key): nothing of ours to delete.
    if (!FILE_NAME.test(key)) return;
    try {
      await fs.unlink(path.join(this.dir, key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw new StorageUnavailableError(`Could not remove the image (${(err as NodeJS.ErrnoException).code ?? "unlink failed"})`);
    }
  }

  async ping(): Promise<void> {
    try {
      await fs.mkdir(this.dir, { recursive: true });
      await fs.access(this.dir, fsConstants.W_OK);
    } catch {
      throw new StorageUnavailableError("The avatar directory is not writable");
    }
  }

  /** Opens a stored avatar for serving; null for anything that is not one of ours or is gone. */
  async open(name: string): Promise<AvatarFile | null> {
    if (!FILE_NAME.test(name)) return null;
    let handle: fs.FileHandle;
    try {
      // Opened before answering, so a file removed meanwhile is a clean 404, not a broken stream.
      handle = await fs.open(path.join(this.dir, name), "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw new StorageUnavailableError();
    }
    const stat = await handle.stat().catch(() => null);
    if (!stat?.isFile()) {
      await handle.close();
      return null;
    }
    const contentType = CONTENT_TYPE[name.slice(name.lastIndexOf(".") + 1)]!;
    return { stream: handle.createReadStream(), size: stat.size, contentType };
  }
}
