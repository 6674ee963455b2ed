/* global process */
/**
 * Draws the DittoFS drive glyph and writes the icons in resources/ (committed; run again after
 * changing the drawing): `node scripts/make-icons.mjs [--out dir]`.
 *
 * - macOS tray: template images, black with alpha, so the menu bar tints them for light and dark
 *   (trayTemplate.png 16 px, trayTemplate@2x.png 32 px).
 * - Linux tray: no tinting there, so a dark glyph for light panels and a light one for dark panels
 *   (tray-on-light.png / tray-on-dark.png 22 px, @2x 44 px).
 * - Windows: icon.ico with PNG images of the app icon at 16, 32, 48 and 256 px.
 * - App icon: icon.png 1024 px and icon-512.png.
 *
 * Plain Node: shapes are sampled several times per pixel for smooth edges, PNGs are deflated
 * with node:zlib, and the .ico directory points at embedded PNGs (Windows Vista and later).
 */
import { Buffer } from "node:buffer";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";

// --- shapes: (x, y) in the unit square, y down -> inside or not ---

function roundedRect(x0, y0, x1, y1, radius) {
  return (x, y) => {
    if (x < x0 || x > x1 || y < y0 || y > y1) return false;
    const dx = x - Math.min(Math.max(x, x0 + radius), x1 - radius);
    const dy = y - Math.min(Math.max(y, y0 + radius), y1 - radius);
    return dx * dx + dy * dy <= radius * radius;
  };
}

function circle(cx, cy, radius) {
  return (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius;
}

/** A drive seen from the front: a rounded body with a slot and an activity light cut out. */
const driveBody = roundedRect(0.04, 0.25, 0.96, 0.75, 0.14);
const driveSlot = roundedRect(0.18, 0.44, 0.58, 0.56, 0.06);
const driveLight = circle(0.77, 0.5, 0.085);
const drive = (x, y) => driveBody(x, y) && !driveSlot(x, y) && !driveLight(x, y);

/** Fraction of a pixel's samples inside the shape, for each pixel of a size x size image. */
function coverage(shape, size) {
  const samples = size <= 64 ? 8 : size <= 256 ? 4 : 2;
  const cover = new Float64Array(size * size);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let hits = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          if (shape((px + (sx + 0.5) / samples) / size, (py + (sy + 0.5) / samples) / size)) hits++;
        }
      }
      cover[py * size + px] = hits / (samples * samples);
    }
  }
  return cover;
}

/** Maps a shape drawn in the unit square into the square [inset, 1 - inset]. */
function inset(shape, margin) {
  const scale = 1 - 2 * margin;
  return (x, y) => shape((x - margin) / scale, (y - margin) / scale);
}

// --- images: RGBA, 8 bits a channel ---

/** One color, the glyph's coverage as alpha. */
function glyph(size, [r, g, b]) {
  const cover = coverage(drive, size);
  const rgba = Buffer.alloc(size * size * 4);
  cover.forEach((alpha, i) => rgba.set([r, g, b, Math.round(alpha * 255)], i * 4));
  return rgba;
}

/** A blue rounded tile with the white drive on it; `margin` leaves room around the tile. */
function appIcon(size, margin) {
  const tile = coverage(roundedRect(margin, margin, 1 - margin, 1 - margin, 0.225 * (1 - 2 * margin)), size);
  const mark = coverage(inset(drive, margin + 0.16 * (1 - 2 * margin)), size);
  const rgba = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    // Lighter at the top: #3b8cf0 to #1c5fc4.
    const t = y / Math.max(1, size - 1);
    const blue = [0x3b + (0x1c - 0x3b) * t, 0x8c + (0x5f - 0x8c) * t, 0xf0 + (0xc4 - 0xf0) * t];
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const white = mark[i];
      const color = blue.map((c) => Math.round(c + (255 - c) * white));
      rgba.set([...color, Math.round(tile[i] * 255)], i * 4);
    }
  }
  return rgba;
}

// --- encoders ---

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const typed = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** PNG, truecolor with alpha (color type 6), 8 bits, every scanline unfiltered. */
function encodePng(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // bit depth, color type, compression, filter, interlace
  const stride = size * 4;
  const raw = Buffer.alloc((stride + 1) * size);
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", header),
    pngChunk("IDAT", deflateSync(raw, { level: 9 })),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

/** ICO: a 6-byte header, a 16-byte entry per image, then the images (PNG-compressed). */
function encodeIco(images) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0); // reserved
  header.writeUInt16LE(1, 2); // 1 = icon
  header.writeUInt16LE(images.length, 4);
  let offset = 6 + 16 * images.length;
  const entries = images.map(({ size, png }) => {
    const entry = Buffer.alloc(16);
    entry.writeUInt8(size >= 256 ? 0 : size, 0); // 0 means 256
    entry.writeUInt8(size >= 256 ? 0 : size, 1);
    entry.writeUInt8(0, 2); // no palette
    entry.writeUInt8(0, 3); // reserved
    entry.writeUInt16LE(1, 4); // color planes
    entry.writeUInt16LE(32, 6); // bits per pixel
    entry.writeUInt32LE(png.length, 8);
    entry.writeUInt32LE(offset, 12);
    offset += png.length;
    return entry;
  });
  return Buffer.concat([header, ...entries, ...images.map(({ png }) => png)]);
}

// --- the files ---

const BLACK = [0, 0, 0];
const DARK = [0x2e, 0x2e, 0x2e];
const LIGHT = [0xf2, 0xf2, 0xf2];

function icons() {
  const png = (size, rgba) => encodePng(size, rgba);
  return {
    "trayTemplate.png": png(16, glyph(16, BLACK)),
    "trayTemplate@2x.png": png(32, glyph(32, BLACK)),
    "tray-on-light.png": png(22, glyph(22, DARK)),
    "tray-on-light@2x.png": png(44, glyph(44, DARK)),
    "tray-on-dark.png": png(22, glyph(22, LIGHT)),
    "tray-on-dark@2x.png": png(44, glyph(44, LIGHT)),
    // Small sizes fill the square: Windows draws them in the tray and title bars.
    "icon.ico": encodeIco([16, 32, 48, 256].map((size) => ({ size, png: png(size, appIcon(size, size < 256 ? 0 : 0.04)) }))),
    // The macOS grid leaves about a tenth around the tile.
    "icon.png": png(1024, appIcon(1024, 0.1)),
    "icon-512.png": png(512, appIcon(512, 0.1)),
  };
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outFlag = process.argv.indexOf("--out");
const outDir = outFlag === -1 ? resolve(root, "resources") : resolve(process.argv[outFlag + 1] ?? "");
mkdirSync(outDir, { recursive: true });
for (const [name, bytes] of Object.entries(icons())) writeFileSync(resolve(outDir, name), bytes);
