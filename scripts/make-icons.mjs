// Draws the app and tray icons (build/) so they live in the repository as sources, not binaries
// from elsewhere: `node scripts/make-icons.mjs` rewrites them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

function crc32(bytes) {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function png(size, pixel) {
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x++) row.set(pixel(x, y), 1 + x * 4);
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function roundedRect(x, y, left, top, right, bottom, radius) {
  const cx = Math.min(Math.max(x, left + radius), right - radius);
  const cy = Math.min(Math.max(y, top + radius), bottom - radius);
  return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2 && x >= left && x <= right && y >= top && y <= bottom;
}

/** The mark in unit coordinates: two ears and a body, like RabbitMQ's logo, on a tile. */
function mark(u, v) {
  const leftEar = roundedRect(u, v, 0.22, 0.14, 0.4, 0.62, 0.06);
  const rightEar = roundedRect(u, v, 0.46, 0.14, 0.64, 0.46, 0.06);
  const body = roundedRect(u, v, 0.22, 0.46, 0.8, 0.86, 0.08);
  const eye = roundedRect(u, v, 0.6, 0.58, 0.7, 0.68, 0.03);
  return (leftEar || rightEar || body) && !eye;
}

function draw(size, options) {
  const samples = 4;
  return png(size, (x, y) => {
    let r = 0;
    let g = 0;
    let b = 0;
    let a = 0;
    for (let sy = 0; sy < samples; sy++) {
      for (let sx = 0; sx < samples; sx++) {
        const u = (x + (sx + 0.5) / samples) / size;
        const v = (y + (sy + 0.5) / samples) / size;
        let color = null;
        if (options.tile && roundedRect(u, v, 0.02, 0.02, 0.98, 0.98, 0.2)) color = options.tile;
        if (mark(u, v)) color = options.markColor;
        if (options.dot && (u - 0.78) ** 2 + (v - 0.78) ** 2 <= 0.2 ** 2)
          color = (u - 0.78) ** 2 + (v - 0.78) ** 2 <= 0.15 ** 2 ? options.dot : [255, 255, 255];
        if (color) {
          r += color[0];
          g += color[1];
          b += color[2];
          a += 255;
        }
      }
    }
    const n = samples * samples;
    return a === 0 ? [0, 0, 0, 0] : [Math.round((r * 255) / a), Math.round((g * 255) / a), Math.round((b * 255) / a), Math.round(a / n)];
  });
}

const ORANGE = [255, 102, 0];
const WHITE = [255, 255, 255];
const STATUS = { green: [46, 160, 67], amber: [230, 160, 0], red: [215, 45, 45], grey: [140, 140, 140] };

mkdirSync('build/tray', { recursive: true });
writeFileSync('build/icon.png', draw(512, { tile: ORANGE, markColor: WHITE }));
for (const [name, color] of Object.entries(STATUS)) {
  writeFileSync(`build/tray/tray-${name}.png`, draw(16, { markColor: [60, 60, 60], dot: color }));
  writeFileSync(`build/tray/tray-${name}@2x.png`, draw(32, { markColor: [60, 60, 60], dot: color }));
}
console.log('icons written to build/');
