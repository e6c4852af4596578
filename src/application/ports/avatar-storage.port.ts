export type AvatarContentType = "image/jpeg" | "image/png" | "image/webp" | "image/gif";

export interface StoredAvatar {
  /** Public URL clients load the image from. */
  url: string;
  /** Storage key (Cloudinary public id, local file name), used to remove it later. */
  key: string;
}

export interface AvatarStorage {
  /** Stores the image; rejects with StorageUnavailableError when the store fails. */
  store(input: { userId: string; bytes: Uint8Array; contentType: AvatarContentType }): Promise<StoredAvatar>;
  /** Removes a stored image; removing one that is already gone succeeds. */
  remove(key: string): Promise<void>;
  ping(): Promise<void>;
}
