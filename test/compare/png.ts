// A small PNG decoder (8-bit RGB/RGBA, non-interlaced: what Chromium's screenshots
// are), enough to look at a screenshot's pixels without a dependency.
import { inflateSync } from 'node:zlib';

export interface Image {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel. */
  rgba: Buffer;
}

export function decodePng(png: Buffer): Image {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let off = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Buffer[] = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.toString('latin1', off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8];
      colorType = data[9];
      if (depth !== 8 || (colorType !== 2 && colorType !== 6) || data[12] !== 0) throw new Error(`unsupported PNG (depth ${depth}, colour type ${colorType}, interlace ${data[12]})`);
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  const bpp = colorType === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const out = Buffer.alloc(width * height * 4);
  let prev = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let i = 0; i < stride; i++) {
      const left = i >= bpp ? line[i - bpp] : 0;
      const up = prev[i];
      const upLeft = i >= bpp ? prev[i - bpp] : 0;
      let add = 0;
      if (filter === 1) add = left;
      else if (filter === 2) add = up;
      else if (filter === 3) add = (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - upLeft;
        const pa = Math.abs(p - left);
        const pb = Math.abs(p - up);
        const pc = Math.abs(p - upLeft);
        add = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      line[i] = (line[i] + add) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      out[o] = line[x * bpp];
      out[o + 1] = line[x * bpp + 1];
      out[o + 2] = line[x * bpp + 2];
      out[o + 3] = bpp === 4 ? line[x * bpp + 3] : 255;
    }
    prev = line;
  }
  return { width, height, rgba: out };
}

/** Pixels within `tolerance` of the colour (per channel) inside the rectangle. */
export function countColour(img: Image, hex: string, rect = { x: 0, y: 0, width: img.width, height: img.height }, tolerance = 8): number {
  const r = parseInt(hex.slice(1, 3), 16);
  const g = parseInt(hex.slice(3, 5), 16);
  const b = parseInt(hex.slice(5, 7), 16);
  let n = 0;
  for (let y = Math.max(0, rect.y); y < Math.min(img.height, rect.y + rect.height); y++) {
    for (let x = Math.max(0, rect.x); x < Math.min(img.width, rect.x + rect.width); x++) {
      const o = (y * img.width + x) * 4;
      if (Math.abs(img.rgba[o] - r) <= tolerance && Math.abs(img.rgba[o + 1] - g) <= tolerance && Math.abs(img.rgba[o + 2] - b) <= tolerance) n++;
    }
  }
  return n;
}

/** How many distinct colours (quantised to 5 bits per channel) the rectangle holds. */
export function distinctColours(img: Image): number {
  const seen = new Set<number>();
  for (let o = 0; o < img.rgba.length; o += 4) seen.add(((img.rgba[o] >> 3) << 10) | ((img.rgba[o + 1] >> 3) << 5) | (img.rgba[o + 2] >> 3));
  return seen.size;
}
