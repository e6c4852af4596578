import { createRequire } from "node:module";
import type { AvatarContentType } from "../../application/ports/avatar-storage.port.js";
import { UnsupportedMediaTypeError } from "../../domain/errors.js";

// A CommonJS module whose typings declare an ES default export: required, so the types and the
// value agree under NodeNext.
const ExifTransformer = createRequire(import.meta.url)("exif-be-gone") as typeof import("exif-be-gone").default;

/** The formats exif-be-gone cleans (its WebP support passes the RIFF container through whole). */
const STRIPPED: ReadonlySet<AvatarContentType> = new Set(["image/jpeg", "image/png"]);

/**
 * An uploaded avatar without its metadata: EXIF (camera, time, GPS position) and XMP segments of
 * a JPEG, eXIf and text chunks of a PNG, removed by exif-be-gone without re-encoding the pixels.
 * A profile picture is public; where it was taken is not. WebP: see stripWebpMetadata. GIF has no
 * EXIF; its comment and application blocks are kept.
 */
export async function stripImageMetadata(bytes: Uint8Array, contentType: AvatarContentType): Promise<Uint8Array> {
  if (contentType === "image/webp") return stripWebpMetadata(bytes);
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

const VP8X_FLAG_EXIF = 0x08;
const VP8X_FLAG_XMP = 0x04;

/**
 * A WebP without its "EXIF" and "XMP " chunks, written by hand (no maintained library removes them
 * without re-encoding): the RIFF container is walked chunk by chunk, those two are left out, the
 * VP8X header stops announcing them and the RIFF size is recomputed; image data is copied as is.
 * A container that does not add up (a chunk running past the end) is refused rather than passed on
 * with whatever it hides.
 */
export function stripWebpMetadata(bytes: Uint8Array): Uint8Array {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const invalid = () => new UnsupportedMediaTypeError("The WebP file is malformed");
  if (buf.length < 12 || buf.toString("latin1", 0, 4) !== "RIFF" || buf.toString("latin1", 8, 12) !== "WEBP") throw invalid();
  const end = Math.min(buf.length, 8 + buf.readUInt32LE(4));
  const kept: Buffer[] = [];
  let removed = false;
  for (let at = 12; at < end; ) {
    if (at + 8 > end) throw invalid();
    const fourcc = buf.toString("latin1", at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    const next = at + 8 + size + (size & 1);
    if (at + 8 + size > end) throw invalid();
    if (fourcc === "EXIF" || fourcc === "XMP ") removed = true;
    else kept.push(Buffer.from(buf.subarray(at, Math.min(next, end))));
    at = next;
  }
  if (!removed) return bytes;
  const vp8x = kept.find((chunk) => chunk.toString("latin1", 0, 4) === "VP8X");
  if (vp8x && vp8x.length > 8) vp8x[8] = vp8x[8]! & ~(VP8X_FLAG_EXIF | VP8X_FLAG_XMP);
  const body = Buffer.concat(kept);
  const header = Buffer.alloc(12);
  header.write("RIFF", 0, "latin1");
  header.writeUInt32LE(4 + body.length, 4);
  header.write("WEBP", 8, "latin1");
  return new Uint8Array(Buffer.concat([header, body]));
}
