#!/usr/bin/env node
// Draws the tray icons (off / on / degraded, 16 px and @2x) and the 512 px app icon as PNGs, with nothing
// but zlib: a junction (three tracks meeting) on a disc for the tray, on a rounded square for the app.
// The output is deterministic; `node resources/generate-icons.mjs` rewrites the committed files, and
// `--check` fails when they differ from what this script draws.
import { deflateSync } from 'node:zlib';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** RGBA pixels (width × height × 4 bytes) as a PNG file. */
export function encodePng(width, height, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const rows = Buffer.alloc(height * (1 + width * 4));
  for (let y = 0; y < height; y++) rgba.copy(rows, y * (1 + width * 4) + 1, y * width * 4, (y + 1) * width * 4);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

function segmentDistance(px, py, [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** The junction: three tracks from the centre, in units of the icon's size (0..1). */
const TRACKS = [
  [[0.5, 0.52], [0.27, 0.24]],
  [[0.5, 0.52], [0.73, 0.24]],
  [[0.5, 0.52], [0.5, 0.8]],
];

/**
 * Draws with 4×4 supersampling: `background(u, v)` says whether (u, v) in 0..1 is inside the shape, the
 * tracks are white strokes `stroke` wide on top of it.
 */
function draw(size, color, background, stroke) {
  const rgba = Buffer.alloc(size * size * 4);
  const n = 4;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let bg = 0;
      let fg = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const u = (x + (sx + 0.5) / n) / size;
          const v = (y + (sy + 0.5) / n) / size;
          if (!background(u, v)) continue;
          bg++;
          if (TRACKS.some(([a, b]) => segmentDistance(u, v, a, b) <= stroke / 2)) fg++;
        }
      }
      const alpha = bg / (n * n);
      const white = bg ? fg / bg : 0;
      const i = (y * size + x) * 4;
      for (let c = 0; c < 3; c++) rgba[i + c] = Math.round(color[c] * (1 - white) + 255 * white);
      rgba[i + 3] = Math.round(alpha * 255);
    }
  }
  return encodePng(size, size, rgba);
}

const disc = (u, v) => Math.hypot(u - 0.5, v - 0.5) <= 0.48;
const roundedSquare = (u, v) => {
  const r = 0.2;
  const m = 0.04;
  const cx = Math.min(Math.max(u, m + r), 1 - m - r);
  const cy = Math.min(Math.max(v, m + r), 1 - m - r);
  return Math.hypot(u - cx, v - cy) <= r;
};

export const TRAY_COLORS = { off: [128, 134, 143], on: [46, 160, 67], degraded: [214, 140, 20] };
const APP_COLOR = [31, 111, 235];

/** Every icon file, relative to resources/, with its bytes. */
export function icons() {
  const files = { 'icon.png': draw(512, APP_COLOR, roundedSquare, 0.1) };
  for (const [state, color] of Object.entries(TRAY_COLORS)) {
    files[`tray/${state}.png`] = draw(16, color, disc, 0.16);
    files[`tray/${state}@2x.png`] = draw(32, color, disc, 0.14);
  }
  return files;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [name, bytes] of Object.entries(icons())) {
    const file = path.join(HERE, name);
    if (check) {
      let same = false;
      try {
        same = readFileSync(file).equals(bytes);
      } catch {}
      if (!same) {
        process.stderr.write(`${name}: differs from what generate-icons.mjs draws\n`);
        stale++;
      }
      continue;
    }
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, bytes);
    process.stdout.write(`wrote resources/${name} (${bytes.length} bytes)\n`);
  }
  process.exit(stale ? 1 : 0);
}
