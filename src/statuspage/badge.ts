// badge.svg (overall) and components/ID/badge.svg: a two-part badge, label and status, as shields.io draws them.
import type { ComponentStatus } from '../domain/enums.js';
import type { Indicator } from './model.js';

// Fills with white text at 4.5:1 or more.
const INDICATOR_FILL: Record<Indicator, string> = {
  none: '#1a7f37',
  minor: '#9a6700',
  major: '#bc4c00',
  critical: '#cf222e',
};
const STATUS_FILL: Record<ComponentStatus, string> = {
  operational: '#1a7f37',
  under_maintenance: '#0969da',
  degraded_performance: '#9a6700',
  partial_outage: '#bc4c00',
  major_outage: '#cf222e',
};

export const indicatorBadge = (label: string, description: string, indicator: Indicator) =>
  badgeSvg(label, description, INDICATOR_FILL[indicator]);
export const componentBadge = (name: string, statusLabel: string, status: ComponentStatus) =>
  badgeSvg(name, statusLabel, STATUS_FILL[status]);

/** Width of `text` in 11 px Verdana, near enough (shields.io measures the same way, by character classes). */
const widthOf = (text: string) =>
  [...text].reduce(
    (w, c) => w + (/[il.,:;'|!]/.test(c) ? 3.5 : /[mwMW@]/.test(c) ? 10 : /[A-Z0-9]/.test(c) ? 7.5 : 6.5),
    0,
  );

export function badgeSvg(label: string, message: string, fill: string): string {
  const l = Math.round(widthOf(label) + 12);
  const m = Math.round(widthOf(message) + 12);
  const text = (x: number, t: string) =>
    `<text x="${x}" y="14" fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle">${escapeXml(t)}</text>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${l + m}" height="20" role="img" aria-label="${escapeXml(`${label}: ${message}`)}">` +
    `<title>${escapeXml(`${label}: ${message}`)}</title>` +
    `<rect width="${l}" height="20" rx="3" fill="#555"/><rect x="${l}" width="${m}" height="20" rx="3" fill="${fill}"/>` +
    `<rect x="${l}" width="4" height="20" fill="${fill}"/>` +
    text(l / 2, label) +
    text(l + m / 2, message) +
    '</svg>'
  );
}

/** Text for XML: the five specials escaped, characters XML 1.0 forbids dropped. */
function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
