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
 * A profile picture is public; where it was taken is not. WebP and GIF: see stripWebpMetadata
 * and stripGifMetadata.
 */
export async function stripImageMetadata(bytes: Uint8Array, contentType: AvatarContentType): Promise<Uint8Array> {
  if (contentType === "image/webp") return stripWebpMetadata(bytes);
  if (contentType === "image/gif") return stripGifMetadata(bytes);
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

const GIF_EXTENSION = 0x21;
const GIF_IMAGE = 0x2c;
const GIF_TRAILER = 0x3b;
const GIF_COMMENT = 0xfe;
const GIF_APPLICATION = 0xff;
/** Application blocks that only say how to play an animation (loop count), kept. */
const GIF_PLAYBACK = new Set(["NETSCAPE2.0", "ANIMEXTS1.0"]);

/**
 * A GIF without its comment blocks and application blocks (XMP travels in one, "XMP DataXMP"),
 * written by hand like stripWebpMetadata: the blocks are walked one by one, those are left out,
 * everything else (palettes, frames, timing, the animation's loop count) is copied as is, and
 * anything after the trailer is dropped. A file whose blocks run past the end, that has no
 * trailer or a block GIF does not define, is refused.
 */
export function stripGifMetadata(bytes: Uint8Array): Uint8Array {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const invalid = () => new UnsupportedMediaTypeError("The GIF file is malformed");
  const signature = buf.toString("latin1", 0, 6);
  if (buf.length < 13 || (signature !== "GIF87a" && signature !== "GIF89a")) throw invalid();
  /** The end of a run of data sub-blocks (each a size byte and that many bytes, ended by a 0). */
  const subBlocksEnd = (from: number): number => {
    let at = from;
    for (;;) {
      if (at >= buf.length) throw invalid();
      const size = buf[at]!;
      at += 1 + size;
      if (size === 0) return at;
    }
  };
  const colorTable = (flags: number) => (flags & 0x80 ? 3 * 2 ** ((flags & 0x07) + 1) : 0);
  let at = 13 + colorTable(buf[10]!);
  const kept: Buffer[] = [buf.subarray(0, at)];
  let removed = false;
  for (;;) {
    if (at >= buf.length) throw invalid();
    const start = at;
    const introducer = buf[at]!;
    if (introducer === GIF_TRAILER) {
      kept.push(buf.subarray(at, at + 1));
      break;
    }
    if (introducer === GIF_IMAGE) {
      if (at + 10 > buf.length) throw invalid();
      at = subBlocksEnd(at + 10 + colorTable(buf[at + 9]!) + 1);
      kept.push(buf.subarray(start, at));
    } else if (introducer === GIF_EXTENSION) {
      if (at + 2 > buf.length) throw invalid();
      const label = buf[at + 1]!;
      at = subBlocksEnd(at + 2);
      const identifier = label === GIF_APPLICATION && buf[start + 2] === 11 ? buf.toString("latin1", start + 3, start + 14) : "";
      if (label === GIF_COMMENT || (label === GIF_APPLICATION && !GIF_PLAYBACK.has(identifier))) removed = true;
      else kept.push(buf.subarray(start, at));
    } else {
      throw invalid();
    }
  }
  // Bytes after the trailer are no part of the image: dropped as well.
  return removed || at + 1 < buf.length ? new Uint8Array(Buffer.concat(kept)) : bytes;
}
