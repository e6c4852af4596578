import { crc32, deflateSync } from "node:zlib";
import type { AvatarContentType } from "../../src/application/ports/avatar-storage.port.js";

/** Tiny but valid images, built here so no binary fixture has to be trusted. */

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A 1×1 RGBA PNG, optionally with an ancillary chunk of `padding` bytes (still a valid PNG). */
function png(padding = 0): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(1, 0); // width
  header.writeUInt32BE(1, 4); // height
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, deflate, no filter, no interlace
  const pixels = deflateSync(Buffer.from([0, 0xff, 0x00, 0x00, 0xff])); // filter byte + one red pixel
  const chunks = [pngChunk("IHDR", header)];
  // Lower-case first letter: ancillary, decoders skip it.
  if (padding > 0) chunks.push(pngChunk("paDd", Buffer.alloc(padding, 0x20)));
  chunks.push(pngChunk("IDAT", pixels), pngChunk("IEND", Buffer.alloc(0)));
  return Buffer.concat([PNG_SIGNATURE, ...chunks]);
}

/** A valid PNG of exactly `bytes` bytes (for the upload limit's boundary). */
export function pngOfSize(bytes: number): Buffer {
  const bare = png().length;
  if (bytes < bare + 12) throw new Error(`a padded PNG is at least ${bare + 12} bytes`);
  const out = png(bytes - bare - 12);
  if (out.length !== bytes) throw new Error("padding arithmetic is off");
  return out;
}

/**
 * A 1×1 grey baseline JPEG: quantisation all ones, one-code Huffman tables (DC category 0, AC
 * end-of-block), so the whole scan is the two bits "00" padded with ones.
 */
function jpeg(): Buffer {
  const segment = (marker: number, body: number[]) => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
  const oneCodeTable = (tableClassAndId: number, symbol: number) => [tableClassAndId, 1, ...Array<number>(15).fill(0), symbol];
  return Buffer.from([
    0xff, 0xd8,
    ...segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0]),
    ...segment(0xdb, [0x00, ...Array<number>(64).fill(1)]),
    ...segment(0xc0, [8, 0, 1, 0, 1, 1, 1, 0x11, 0]),
    ...segment(0xc4, oneCodeTable(0x00, 0x00)),
    ...segment(0xc4, oneCodeTable(0x10, 0x00)),
    ...segment(0xda, [1, 1, 0x00, 0, 63, 0]),
    0x3f,
    0xff, 0xd9,
  ]);
}

/** The classic 1×1 GIF89a (two-colour palette, one LZW-coded pixel). */
const GIF = Buffer.from("47494638396101000100800000000000ffffff2c00000000010001000002024401003b", "hex");

/** A 1×1 lossless WebP (VP8L), the one browsers' feature tests decode. */
const WEBP = Buffer.from("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==", "base64");

/** Where a phone would say the picture was taken. */
export const GPS_NOTE = "GPSLatitude 48.858370 N GPSLongitude 2.294481 E";

/** One RIFF chunk: fourcc, little-endian size, data, a pad byte when the size is odd. */
function riffChunk(fourcc: string, data: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeUInt32LE(data.length);
  return Buffer.concat([Buffer.from(fourcc, "latin1"), size, data, data.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

/** An extended WebP (VP8X header, announcing `flags`) around the 1×1 lossless image, plus chunks. */
function extendedWebp(flags: number, extra: Buffer[]): Buffer {
  const vp8x = Buffer.alloc(10); // flags, 3 reserved bytes, canvas width-1 and height-1 (24 bits each): 1×1
  vp8x[0] = flags;
  const image = WEBP.subarray(12); // the VP8L chunk
  const body = Buffer.concat([riffChunk("VP8X", vp8x), image, ...extra]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(4 + body.length);
  return Buffer.concat([Buffer.from("RIFF", "latin1"), size, Buffer.from("WEBP", "latin1"), body]);
}

/**
 * Images carrying metadata a camera writes, each holding GPS_NOTE, with the same image without it:
 * an EXIF APP1 segment and an XMP one (JPEG), eXIf and tEXt chunks (PNG), EXIF and "XMP " chunks
 * announced by the VP8X header (WebP).
 */
/** GIF data sub-blocks: runs of at most 255 bytes, each after its size, then a 0. */
function gifSubBlocks(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += 255) {
    const part = data.subarray(at, at + 255);
    parts.push(Buffer.from([part.length]), part);
  }
  return Buffer.concat([...parts, Buffer.from([0])]);
}

/** A GIF application extension block: identifier and authentication code (11 bytes), then data. */
export function gifApplicationBlock(identifier: string, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x21, 0xff, 11]), Buffer.from(identifier, "latin1"), gifSubBlocks(data)]);
}

export function imagesWithMetadata(): Record<"image/jpeg" | "image/png" | "image/webp" | "image/gif", { tagged: Uint8Array; clean: Uint8Array }> {
  const plainJpeg = jpeg();
  const app1 = (payload: Buffer) => Buffer.concat([Buffer.from([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]), payload]);
  const exif = app1(Buffer.concat([Buffer.from("Exif\0\0", "latin1"), Buffer.from(`MM\0*${GPS_NOTE}`, "latin1")]));
  const xmp = app1(Buffer.from(`http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>${GPS_NOTE}</x:xmpmeta>`, "latin1"));
  const jpegWithMetadata = Buffer.concat([plainJpeg.subarray(0, 2), exif, xmp, plainJpeg.subarray(2)]);

  const plainPng = png();
  const afterIhdr = 8 + 12 + 13;
  const pngWithMetadata = Buffer.concat([
    plainPng.subarray(0, afterIhdr),
    pngChunk("eXIf", Buffer.from(`MM\0*${GPS_NOTE}`, "latin1")),
    pngChunk("tEXt", Buffer.from(`Comment\0${GPS_NOTE}`, "latin1")),
    plainPng.subarray(afterIhdr),
  ]);

  const webpWithMetadata = extendedWebp(0x08 | 0x04, [
    riffChunk("EXIF", Buffer.from(`MM\0*${GPS_NOTE}`, "latin1")),
    riffChunk("XMP ", Buffer.from(`<x:xmpmeta>${GPS_NOTE}!</x:xmpmeta>`, "latin1")),
  ]);
  // After the header, screen descriptor and two-colour palette (13 + 6 bytes): an animation's loop
  // count (kept), a comment and an XMP packet (removed), then the image and the trailer.
  const gifHead = GIF.subarray(0, 19);
  const loop = gifApplicationBlock("NETSCAPE2.0", Buffer.from([1, 0, 0]));
  const comment = Buffer.concat([Buffer.from([0x21, 0xfe]), gifSubBlocks(Buffer.from(`Taken at ${GPS_NOTE}`, "latin1"))]);
  const gifXmp = gifApplicationBlock("XMP DataXMP", Buffer.from(`<x:xmpmeta>${"x".repeat(300)}${GPS_NOTE}</x:xmpmeta>`, "latin1"));
  const gifWithMetadata = Buffer.concat([gifHead, loop, comment, gifXmp, GIF.subarray(19)]);
  return {
    "image/gif": { tagged: new Uint8Array(gifWithMetadata), clean: new Uint8Array(Buffer.concat([gifHead, loop, GIF.subarray(19)])) },
    "image/jpeg": { tagged: new Uint8Array(jpegWithMetadata), clean: new Uint8Array(plainJpeg) },
    "image/png": { tagged: new Uint8Array(pngWithMetadata), clean: new Uint8Array(plainPng) },
    "image/webp": { tagged: new Uint8Array(webpWithMetadata), clean: new Uint8Array(extendedWebp(0, [])) },
  };
}

export const IMAGES: Record<AvatarContentType, Uint8Array> = {
  "image/png": new Uint8Array(png()),
  "image/jpeg": new Uint8Array(jpeg()),
  "image/gif": new Uint8Array(GIF),
  "image/webp": new Uint8Array(WEBP),
};
