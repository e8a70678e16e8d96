// The page's brand from channels.config.ts `site`: a logo, a favicon and an accent colour. The colour is adjusted
// until it reads with WCAG 2.2 AA contrast (4.5:1) as link text on the light and the dark background, and as a
// button behind white text.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';

export interface BrandOptions {
  /** Path to an SVG or PNG file (relative to the working directory), shown before the site name. */
  logo?: string;
  /** Path to an SVG, PNG or ICO file. Default: a dot in the accent colour. */
  favicon?: string;
  /** `#rgb` or `#rrggbb`. */
  accentColor?: string;
}

export interface BrandFile {
  /** Site path, named by a hash of the content (cached for good). */
  path: string;
  content: Uint8Array;
  type: string;
}

export interface Brand {
  logo?: BrandFile;
  favicon: BrandFile;
  /** Appended to the stylesheet. */
  css: string;
}

export class BrandError extends Error {
  override name = 'BrandError';
}

// The lighter of each scheme's surfaces (page, card): text readable on it is readable on both.
const LIGHT_BG = '#f6f8fa';
const DARK_BG = '#151b23';
const DEFAULT_ACCENT = '#1a7f37';
const IMAGE_TYPES: Record<string, string> = { '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon' };

export function loadBrand(options: BrandOptions = {}): Brand {
  const accent = options.accentColor ?? DEFAULT_ACCENT;
  if (!/^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(accent))
    throw new BrandError(`site.accentColor '${accent}' is not a colour: write #rgb or #rrggbb, e.g. #0b5fff`);
  const logo = options.logo ? brandFile('site.logo', options.logo, 'logo', ['.svg', '.png']) : undefined;
  const favicon = options.favicon
    ? brandFile('site.favicon', options.favicon, 'favicon', ['.svg', '.png', '.ico'])
    : hashed('favicon', '.svg', Buffer.from(dotSvg(readable(accent, LIGHT_BG))));
  const light = readable(accent, LIGHT_BG);
  const dark = readable(accent, DARK_BG);
  // Without an accent colour the page keeps its own link colours.
  if (!options.accentColor) return { logo, favicon, css: '' };
  const css =
    `:root{--link:${light};--accent:${light}}@media (prefers-color-scheme:dark){:root{--link:${dark}}}` +
    'header.site{border-top:4px solid var(--accent)}button{background:var(--accent);border-color:var(--accent);color:#fff}';
  return { logo, favicon, css };
}

function brandFile(field: string, path: string, name: string, allowed: string[]): BrandFile {
  const ext = extname(path).toLowerCase();
  if (!allowed.includes(ext)) throw new BrandError(`${field} '${path}' must be a ${allowed.join(', ')} file`);
  let content: Buffer;
  try {
    content = readFileSync(resolve(path));
  } catch (error) {
    throw new BrandError(`${field} '${path}' cannot be read: ${(error as Error).message}`);
  }
  if (content.length > 200_000) throw new BrandError(`${field} '${path}' is over 200 kB; the page should stay light`);
  return hashed(name, ext, content);
}

function hashed(name: string, ext: string, content: Uint8Array): BrandFile {
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 10);
  return { path: `assets/${name}.${hash}${ext}`, content, type: IMAGE_TYPES[ext]! };
}

const dotSvg = (colour: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="${colour}"/></svg>`;

/** `colour`, darkened (light background) or lightened (dark) until its contrast with `bg` is at least 4.5:1. */
export function readable(colour: string, bg: string): string {
  let rgb = parse(colour);
  const target = parse(bg);
  const towards = luminance(target) > 0.5 ? 0 : 255;
  for (let i = 0; i < 40 && contrast(rgb, target) < 4.5; i++)
    rgb = rgb.map((c) => Math.round(c + (towards - c) * 0.08)) as [number, number, number];
  return `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

export function contrast(a: [number, number, number], b: [number, number, number]): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p) as [number, number];
  return (x + 0.05) / (y + 0.05);
}

function luminance(rgb: [number, number, number]): number {
  const [r, g, b] = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function parse(colour: string): [number, number, number] {
  let hex = colour.slice(1);
  if (hex.length === 3) hex = [...hex].map((c) => c + c).join('');
  return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}
