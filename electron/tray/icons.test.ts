/**
 * The committed icons in resources/: decoded here (PNG chunks, CRCs, inflated and unfiltered
 * pixels; the ICO directory and its embedded PNGs) and compared with what scripts/make-icons.mjs
 * draws now, so the files and the script cannot drift apart.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32, inflateSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(fileURLToPath(import.meta.url), "../../..");
const resources = join(root, "resources");

interface Png {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace: number;
  /** RGBA, 4 bytes a pixel (only color type 6, 8 bits, is decoded). */
  pixels: Buffer;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function decodePng(bytes: Buffer): Png {
  if (!bytes.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error("not a PNG signature");
  let offset = 8;
  let header: Omit<Png, "pixels"> | null = null;
  const data: Buffer[] = [];
  for (;;) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString("ascii", offset + 4, offset + 8);
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (body.length !== length) throw new Error(`chunk ${type} runs past the end`);
    if (crc32(bytes.subarray(offset + 4, offset + 8 + length)) !== bytes.readUInt32BE(offset + 8 + length)) {
      throw new Error(`bad CRC in chunk ${type}`);
    }
    offset += 12 + length;
    if (type === "IHDR") {
      header = {
        width: body.readUInt32BE(0),
        height: body.readUInt32BE(4),
        bitDepth: body[8]!,
        colorType: body[9]!,
        interlace: body[12]!,
      };
    } else if (type === "IDAT") {
      data.push(body);
    } else if (type === "IEND") {
      break;
    }
  }
  if (header === null) throw new Error("no IHDR");
  if (header.colorType !== 6 || header.bitDepth !== 8 || header.interlace !== 0) {
    return { ...header, pixels: Buffer.alloc(0) };
  }
  return { ...header, pixels: unfilter(inflateSync(Buffer.concat(data)), header.width, header.height) };
}

/** Undoes the PNG scanline filters (RFC 2083 §6) for 4 bytes a pixel. */
function unfilter(raw: Buffer, width: number, height: number): Buffer {
  const stride = width * 4;
  if (raw.length !== (stride + 1) * height) throw new Error(`image data is ${raw.length} bytes`);
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x]!;
      const left = x >= 4 ? out[y * stride + x - 4]! : 0;
      const up = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const upLeft = x >= 4 && y > 0 ? out[(y - 1) * stride + x - 4]! : 0;
      const predictors = [0, left, up, (left + up) >> 1, paeth(left, up, upLeft)];
      if (predictors[filter] === undefined) throw new Error(`unknown filter ${filter}`);
      out[y * stride + x] = (value + predictors[filter]!) & 0xff;
    }
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

interface IcoEntry {
  size: number;
  planes: number;
  bitCount: number;
  png: Png;
}

function decodeIco(bytes: Buffer): IcoEntry[] {
  expect(bytes.readUInt16LE(0)).toBe(0);
  expect(bytes.readUInt16LE(2)).toBe(1);
  const count = bytes.readUInt16LE(4);
  const entries: IcoEntry[] = [];
  let end = 6 + 16 * count;
  for (let i = 0; i < count; i++) {
    const entry = bytes.subarray(6 + 16 * i, 22 + 16 * i);
    const [width, height] = [entry[0] || 256, entry[1] || 256];
    expect(height).toBe(width);
    const [length, offset] = [entry.readUInt32LE(8), entry.readUInt32LE(12)];
    // Images follow the directory one after the other, inside the file.
    expect(offset).toBe(end);
    end = offset + length;
    expect(end).toBeLessThanOrEqual(bytes.length);
    const png = decodePng(bytes.subarray(offset, end));
    expect([png.width, png.height]).toEqual([width, height]);
    entries.push({ size: width, planes: entry.readUInt16LE(4), bitCount: entry.readUInt16LE(6), png });
  }
  expect(end).toBe(bytes.length);
  return entries;
}

const read = (name: string, dir = resources) => readFileSync(join(dir, name));
const alphas = (png: Png) => png.pixels.filter((_, i) => i % 4 === 3);
/** The colors of the pixels that are fully covered. */
const solidColors = (png: Png) => {
  const colors = new Set<string>();
  for (let i = 0; i < png.pixels.length; i += 4) {
    if (png.pixels[i + 3] === 255) colors.add(png.pixels.subarray(i, i + 3).toString("hex"));
  }
  return colors;
};
const isBlue = (hex: string) => parseInt(hex.slice(4, 6), 16) > parseInt(hex.slice(0, 2), 16) + 0x60;
const alphaAt = (png: Png, x: number, y: number) => png.pixels[(y * png.width + x) * 4 + 3];

const TRAY = {
  "trayTemplate.png": 16,
  "trayTemplate@2x.png": 32,
  "tray-on-light.png": 22,
  "tray-on-light@2x.png": 44,
  "tray-on-dark.png": 22,
  "tray-on-dark@2x.png": 44,
};
const APP = { "icon.png": 1024, "icon-512.png": 512 };
const PNGS = { ...TRAY, ...APP };

describe("resources/ icons", () => {
  it("are RGBA PNGs of the expected sizes", () => {
    for (const [name, size] of Object.entries(PNGS)) {
      const png = decodePng(read(name));
      expect({ name, width: png.width, height: png.height, colorType: png.colorType, bitDepth: png.bitDepth }).toEqual({
        name,
        width: size,
        height: size,
        colorType: 6,
        bitDepth: 8,
      });
    }
  });

  it("draw the tray glyph on a transparent ground, in the color each tray needs", () => {
    for (const [name, expected] of [
      ["trayTemplate.png", "000000"],
      ["trayTemplate@2x.png", "000000"],
      ["tray-on-light.png", "2e2e2e"],
      ["tray-on-light@2x.png", "2e2e2e"],
      ["tray-on-dark.png", "f2f2f2"],
      ["tray-on-dark@2x.png", "f2f2f2"],
    ] as const) {
      const png = decodePng(read(name));
      // One color everywhere (templates: black, as macOS requires); the shape lives in alpha.
      const colors = new Set<string>();
      for (let i = 0; i < png.pixels.length; i += 4) colors.add(png.pixels.subarray(i, i + 3).toString("hex"));
      expect({ name, colors: [...colors] }).toEqual({ name, colors: [expected] });
      const alpha = alphas(png);
      expect(alpha.filter((a) => a === 255).length, name).toBeGreaterThan(png.width * 2);
      expect(alpha.filter((a) => a === 0).length, name).toBeGreaterThan(png.width * 2);
      expect(alphaAt(png, 0, 0), name).toBe(0);
      expect(alphaAt(png, png.width >> 1, 0), name).toBe(0);
    }
  });

  it("draw the app icon as an opaque tile with transparent corners", () => {
    for (const name of Object.keys(APP)) {
      const png = decodePng(read(name));
      const last = png.width - 1;
      expect([alphaAt(png, 0, 0), alphaAt(png, last, 0), alphaAt(png, 0, last), alphaAt(png, last, last)]).toEqual([0, 0, 0, 0]);
      expect(alphaAt(png, png.width >> 1, png.width >> 1)).toBe(255);
      // The white drive and the blue tile.
      const colors = solidColors(png);
      expect(colors.has("ffffff")).toBe(true);
      expect([...colors].some(isBlue)).toBe(true);
    }
  });

  it("hold a Windows .ico of PNG images at 16, 32, 48 and 256 px", () => {
    const entries = decodeIco(read("icon.ico"));
    expect(entries.map(({ size, planes, bitCount, png }) => ({ size, planes, bitCount, colorType: png.colorType }))).toEqual(
      [16, 32, 48, 256].map((size) => ({ size, planes: 1, bitCount: 32, colorType: 6 })),
    );
  });

  describe("match what scripts/make-icons.mjs draws", () => {
    const fresh = mkdtempSync(join(tmpdir(), "dittofs-icons-"));
    afterAll(() => rmSync(fresh, { recursive: true, force: true }));

    it("pixel for pixel", () => {
      execFileSync(process.execPath, [join(root, "scripts/make-icons.mjs"), "--out", fresh]);
      // Pixels, not bytes: another zlib may compress the same image differently.
      for (const name of Object.keys(PNGS)) {
        expect(decodePng(read(name)).pixels.equals(decodePng(read(name, fresh)).pixels), name).toBe(true);
      }
      const committed = decodeIco(read("icon.ico"));
      const drawn = decodeIco(read("icon.ico", fresh));
      expect(committed.map((entry) => entry.size)).toEqual(drawn.map((entry) => entry.size));
      committed.forEach((entry, i) => expect(entry.png.pixels.equals(drawn[i]!.png.pixels), `icon.ico ${entry.size}`).toBe(true));
    });
  });
});
