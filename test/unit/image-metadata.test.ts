import { expect } from "chai";
import { stripImageMetadata, stripWebpMetadata } from "../../src/adapters/http/image-metadata.js";
import { UnsupportedMediaTypeError } from "../../src/domain/errors.js";
import { GPS_NOTE, IMAGES, imagesWithMetadata } from "../support/images.js";

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
