import { createRequire } from "node:module";
import type { AvatarContentType } from "../../application/ports/avatar-storage.port.js";

// A CommonJS module whose typings declare an ES default export: required, so the types and the
// value agree under NodeNext.
const ExifTransformer = createRequire(import.meta.url)("exif-be-gone") as typeof import("exif-be-gone").default;

/** The formats whose metadata is removed: where cameras and phones write EXIF (and GPS). */
const STRIPPED: ReadonlySet<AvatarContentType> = new Set(["image/jpeg", "image/png"]);

/**
 * An uploaded avatar without its metadata: EXIF (camera, time, GPS position) and XMP segments of
 * a JPEG, eXIf and text chunks of a PNG, removed by exif-be-gone without re-encoding the pixels.
 * A profile picture is public; where it was taken is not.
 */
export async function stripImageMetadata(bytes: Uint8Array, contentType: AvatarContentType): Promise<Uint8Array> {
  if (!STRIPPED.has(contentType)) return bytes;
  return new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const transformer = new ExifTransformer();
    transformer.on("data", (chunk: Buffer) => chunks.push(chunk));
    transformer.on("error", reject);
    transformer.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks))));
    transformer.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });
}
