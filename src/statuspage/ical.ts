// maintenances.ics: the maintenances as an iCalendar feed (RFC 5545) that calendars subscribe to. Every value from a
// commander is TEXT-escaped, and each line is folded at 75 octets without splitting a character, so no title or
// message can end a property or start another one.
import type { Maintenance } from '../domain/types.js';
import { formatUtc } from '../render/labels.js';
import { markdownToText } from '../render/markdown.js';

/**
 * How long a maintenance stays in the feed once it is over (completed or cancelled). A calendar that subscribed
 * sees a cancellation as STATUS:CANCELLED on the event it already holds (some clients only drop an event that
 * vanishes from a feed at their next full sync, others keep it forever), and a completed window stays in the
 * week's view instead of disappearing the moment it ends. Statuspage keeps completed maintenances on its page
 * for a while the same way.
 */
export const CALENDAR_KEEP_DAYS = 7;

export interface CalendarInput {
  /** The calendar's name, e.g. "Acme status - maintenance". */
  name: string;
  /** HERALD_PUBLIC_URL without a trailing slash: UIDs take its host, URLs point at its page. */
  publicUrl: string;
  maintenances: Maintenance[];
}

/** The iCalendar document: one VEVENT per maintenance, in the order given. */
export function maintenanceCalendar(input: CalendarInput): string {
  const host = new URL(input.publicUrl).host;
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Herald//Status page maintenances//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${text(input.name)}`,
    `X-WR-CALDESC:${text(`Scheduled maintenance of ${input.publicUrl}`)}`,
    // How often a subscribed calendar should read the feed again (RFC 7986, and the older Microsoft name).
    'REFRESH-INTERVAL;VALUE=DURATION:PT1H',
    'X-PUBLISHED-TTL:PT1H',
  ];
  for (const m of input.maintenances) lines.push(...event(m, host, input.publicUrl));
  lines.push('END:VCALENDAR');
  return `${lines.map(fold).join('\r\n')}\r\n`;
}

function event(m: Maintenance, host: string, publicUrl: string): string[] {
  const components = m.components.map((c) => c.name).join(', ');
  // The latest notice since it started (a commander's update, its start, end or cancellation): what made the
  // SEQUENCE go up shows in the event too. Notices before it (announced, reminded, rescheduled) say what the
  // message and the window already say.
  const latest = m.updates.find((u) => u.status !== 'scheduled');
  const description = [
    markdownToText(m.message).trim(),
    latest ? `Latest update, ${formatUtc(latest.createdAt)}: ${markdownToText(latest.message).trim()}` : '',
    components ? `Affected: ${components}` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
  return [
    'BEGIN:VEVENT',
    // The id is Herald's own (letters, digits, '-', '_'), so the UID needs no escaping and never changes.
    `UID:maintenance-${m.id}@${host}`,
    // The time of the last change, not of the build: an unchanged maintenance gives the same bytes, so the file
    // is uploaded again only when something in it changed.
    `DTSTAMP:${utc(m.updatedAt)}`,
    `CREATED:${utc(m.createdAt)}`,
    `LAST-MODIFIED:${utc(m.updatedAt)}`,
    `SEQUENCE:${m.revision}`,
    `DTSTART:${utc(m.scheduledFor)}`,
    `DTEND:${utc(m.scheduledUntil)}`,
    `SUMMARY:${text(m.title)}`,
    `DESCRIPTION:${text(description)}`,
    `URL:${uri(`${publicUrl}/#maintenance-${m.id}`)}`,
    `STATUS:${m.cancelledAt ? 'CANCELLED' : 'CONFIRMED'}`,
    // Free, not busy: a maintenance window is news about a service, not time taken from the reader's day.
    'TRANSP:TRANSPARENT',
    'END:VEVENT',
  ];
}

/** An ISO time as a UTC DATE-TIME: 20260520T120000Z. */
export function utc(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is removed here
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

/**
 * A TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma escaped, every line break (CRLF, CR, LF) as `\n`;
 * other control characters, which TEXT may not hold, dropped, and lone surrogates (not UTF-8) replaced by U+FFFD.
 */
export function text(value: string): string {
  return wellFormed(value)
    .replace(/\r\n?/g, '\n')
    .replace(CONTROLS, '')
    .replace(/[\\;,]/g, (c) => `\\${c}`)
    .replace(/\n/g, '\\n');
}

/** A URI value: characters a URI may not hold as they are (controls, spaces) percent-encoded. */
function uri(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is encoded here
  return value.replace(/[\u0000-\u0020\u007f]/g, (c) => encodeURIComponent(c));
}

function wellFormed(value: string): string {
  return value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

const OCTETS_PER_LINE = 75;

/**
 * Folds a content line (RFC 5545 3.1): at most 75 octets a line, CRLF and one space before each continuation (the
 * space counts in its line). Splits between characters, never inside one's UTF-8 bytes.
 */
export function fold(line: string): string {
  if (Buffer.byteLength(line) <= OCTETS_PER_LINE) return line;
  const out: string[] = [];
  let current = '';
  let size = 0;
  for (const char of line) {
    const bytes = Buffer.byteLength(char);
    if (size + bytes > OCTETS_PER_LINE) {
      out.push(current);
      current = ' ';
      size = 1;
    }
    current += char;
    size += bytes;
  }
  out.push(current);
  return out.join('\r\n');
}
