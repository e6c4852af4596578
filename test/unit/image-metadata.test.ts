import { expect } from "chai";
import { stripGifMetadata, stripImageMetadata, stripWebpMetadata } from "../../src/adapters/http/image-metadata.js";
import { UnsupportedMediaTypeError } from "../../src/domain/errors.js";
import { GPS_NOTE, IMAGES, gifApplicationBlock, imagesWithMetadata } from "../support/images.js";

describe("stripWebpMetadata", () => {
  it("drops the EXIF and XMP chunks, clears their VP8X flags and fixes the RIFF size; the image chunk is untouched", () => {
    const { tagged, clean } = imagesWithMetadata()["image/webp"];
    expect(Buffer.from(tagged).toString("latin1")).to.include(GPS_NOTE);
    const out = Buffer.from(stripWebpMetadata(tagged));
    expect(out.toString("latin1")).to.not.include("GPSLatitude");
    expect(out.readUInt32LE(4)).to.equal(out.length - 8);
    expect(out[20]! & 0x0c, "EXIF and XMP flags").to.equal(0);
    expect(Buffer.compare(out, Buffer.from(clean))).to.equal(0);
  });

  it("hands back a WebP without metadata as it is", async () => {
    const plain = IMAGES["image/webp"];
    expect(stripWebpMetadata(plain)).to.equal(plain);
    expect(await stripImageMetadata(plain, "image/webp")).to.equal(plain);
  });

  it("refuses a container that does not add up rather than passing on what it may hide", () => {
    const { tagged } = imagesWithMetadata()["image/webp"];
    const truncated = Buffer.from(tagged).subarray(0, tagged.length - 10);
    const lying = Buffer.from(tagged);
    lying.writeUInt32LE(0xffff, 12 + 4); // the VP8X chunk claims to run past the end
    for (const bad of [truncated, lying, Buffer.from("RIFF\x04\0\0\0WEBX", "latin1")]) {
      expect(() => stripWebpMetadata(new Uint8Array(bad))).to.throw(UnsupportedMediaTypeError);
    }
  });
});

describe("stripGifMetadata", () => {
  it("drops comment blocks and application blocks (XMP) and keeps the animation's loop count; frames and palette untouched", async () => {
    const { tagged, clean } = imagesWithMetadata()["image/gif"];
    expect(Buffer.from(tagged).toString("latin1")).to.include(GPS_NOTE);
    const out = Buffer.from(await stripImageMetadata(tagged, "image/gif"));
    expect(out.toString("latin1")).to.not.include("GPSLatitude");
    expect(out.toString("latin1")).to.include("NETSCAPE2.0");
    expect(Buffer.compare(out, Buffer.from(clean))).to.equal(0);
  });

  it("hands back a GIF without metadata as it is, and drops bytes hidden after the trailer", () => {
    const plain = IMAGES["image/gif"];
    expect(stripGifMetadata(plain)).to.equal(plain);
    const smuggled = Buffer.concat([Buffer.from(plain), Buffer.from(`<?php ${GPS_NOTE}`, "latin1")]);
    expect(Buffer.compare(Buffer.from(stripGifMetadata(smuggled)), Buffer.from(plain))).to.equal(0);
  });

  it("refuses a file whose blocks do not add up rather than passing on what it may hide", () => {
    const { tagged } = imagesWithMetadata()["image/gif"];
    const noTrailer = Buffer.from(tagged).subarray(0, tagged.length - 1);
    const truncated = Buffer.from(tagged).subarray(0, 40);
    const unknownBlock = Buffer.concat([Buffer.from(IMAGES["image/gif"]).subarray(0, 19), Buffer.from([0x99]), Buffer.from(IMAGES["image/gif"]).subarray(19)]);
    const runaway = Buffer.concat([Buffer.from(IMAGES["image/gif"]).subarray(0, 19), gifApplicationBlock("XMP DataXMP", Buffer.alloc(10)).subarray(0, 20)]);
    for (const bad of [noTrailer, truncated, unknownBlock, runaway, Buffer.from("GIF89a", "latin1"), Buffer.from("GIF90a-------", "latin1")]) {
      expect(() => stripGifMetadata(new Uint8Array(bad)), bad.toString("hex").slice(0, 40)).to.throw(UnsupportedMediaTypeError);
    }
  });
});
