import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PRIVATE_FILE_MODE } from '../lib/private-files.js';

/** Herald's settings, read once from the environment (names per the contract). */
export interface HeraldEnv {
  port: number;
  /** Where the status page lives (HERALD_PUBLIC_URL): every link in messages, feeds and JSON. */
  publicUrl: string;
  /**
   * Where Herald itself answers (HERALD_APP_URL, default the public URL): sign-up, confirm and unsubscribe links,
   * Twilio's inbound webhook, the console.
   */
  appUrl: string;
  apiToken: string | undefined;
  /** When set, GET /metrics needs `Authorization: Bearer` with it. */
  metricsToken: string | undefined;
  secret: string;
  databaseUrl: string;
  redisUrl: string;
  /** False when REDIS_URL was not set: `herald serve` may then start a local redis-server. */
  redisUrlGiven: boolean;
  queuePrefix: string;
  configPath: string;
  statusPageDir: string;
  dataDir: string;
  lockDurationMs: number;
  allowPrivateWebhooks: boolean;
  /** HERALD_ALERT_TOKEN: bearer token of the alert endpoints (not the admin token); unset: they refuse every call. */
  alertToken: string | undefined;
  /** HERALD_PAGERDUTY_SECRET: the PagerDuty webhook subscription's signing secret(s), comma-separated while rotating. */
  pagerdutySecrets: string[];
  /** HERALD_ALERT_AUTOPUBLISH_MINUTES: the default rule's holding statement delay; undefined: never. */
  alertAutopublishMinutes: number | undefined;
  /**
   * Which proxies' X-Forwarded-For to believe (Fastify's trustProxy): false by default, so a client cannot
   * spoof its address past the per-IP limits; a hop count or a list of proxy addresses/CIDRs behind a proxy.
   */
  trustProxy: boolean | string[] | ((address: string, hop: number) => boolean);
  /** The raw environment, for channels.config.ts. */
  vars: NodeJS.ProcessEnv;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function readEnv(vars: NodeJS.ProcessEnv = process.env, options: { generateSecret?: boolean } = {}): HeraldEnv {
  const dataDir = resolve(vars.HERALD_DATA_DIR ?? './data');
  const port = integer(vars, 'PORT', 3000, 0, 65535);
  const prefix = vars.HERALD_QUEUE_PREFIX ?? 'herald';
  if (!/^[A-Za-z0-9_{}.-]+$/.test(prefix)) {
    throw new ConfigError(
      `HERALD_QUEUE_PREFIX '${prefix}' may hold only letters, digits and _ - . { } (no ':' or spaces)`,
    );
  }
  const publicUrl = baseUrl(
    vars,
    'HERALD_PUBLIC_URL',
    `http://localhost:${port}`,
    "the status page's address, e.g. https://status.example.com",
  );
  const appUrl = baseUrl(vars, 'HERALD_APP_URL', publicUrl, "Herald's own address, e.g. https://herald.example.com");
  return {
    port,
    publicUrl,
    appUrl,
    apiToken: vars.HERALD_API_TOKEN || undefined,
    metricsToken: vars.HERALD_METRICS_TOKEN || undefined,
    secret: vars.HERALD_SECRET || (options.generateSecret === false ? '' : storedSecret(dataDir)),
    databaseUrl: databaseUrl(vars.DATABASE_URL) ?? join(dataDir, 'herald.db'),
    redisUrl: redisUrl(vars.REDIS_URL) ?? 'redis://127.0.0.1:6379',
    redisUrlGiven: Boolean(vars.REDIS_URL),
    queuePrefix: prefix,
    configPath: resolve(vars.HERALD_CONFIG ?? './channels.config.ts'),
    statusPageDir: resolve(vars.STATUS_PAGE_DIR ?? join(dataDir, 'site')),
    dataDir,
    lockDurationMs: integer(vars, 'HERALD_LOCK_DURATION_MS', 30_000, 1_000, 3_600_000),
    allowPrivateWebhooks: vars.HERALD_ALLOW_PRIVATE_WEBHOOKS === '1',
    alertToken: vars.HERALD_ALERT_TOKEN || undefined,
    pagerdutySecrets: (vars.HERALD_PAGERDUTY_SECRET ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    alertAutopublishMinutes: minutes(vars, 'HERALD_ALERT_AUTOPUBLISH_MINUTES', 10_080),
    trustProxy: parseTrustProxy(vars.HERALD_TRUST_PROXY),
    vars,
  };
}

/** An http(s) base URL without a trailing slash, query or fragment; `fallback` when the variable is unset or empty. */
function baseUrl(vars: NodeJS.ProcessEnv, name: string, fallback: string, what: string): string {
  const raw = vars[name];
  if (raw === undefined || raw === '') return fallback;
  const value = raw.trim().replace(/\/+$/, '');
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname)
    throw new ConfigError(`${name} '${raw}' is not an http(s) URL; set it to ${what}`);
  if (url.search || url.hash || url.username || url.password)
    throw new ConfigError(
      `${name} '${raw}' must be a plain base URL (no query, fragment or credentials); set it to ${what}`,
    );
  return value;
}

/** `postgres://…` (a URL that parses) or a SQLite path / `file:` URL; any other scheme is a mistake, not a file name. */
function databaseUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(raw)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    try {
      new URL(raw);
    } catch {
      throw new ConfigError(
        `DATABASE_URL '${maskPassword(raw)}' is not a valid URL; write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE`,
      );
    }
  } else if (scheme && scheme !== 'file') {
    throw new ConfigError(
      `DATABASE_URL '${maskPassword(raw)}' is a ${scheme}:// URL; Herald takes postgres://USER:PASSWORD@HOST:PORT/DATABASE or a SQLite file path such as ./data/herald.db`,
    );
  }
  return raw;
}

/** `redis://` or `rediss://` with a host, or the path of a Unix socket. */
function redisUrl(raw: string | undefined): string | undefined {
  if (!raw || raw.startsWith('/')) return raw || undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || !url.hostname) {
    throw new ConfigError(
      `REDIS_URL '${maskPassword(raw)}' is not a Redis URL; write it as redis://HOST:PORT (rediss:// for TLS, redis://:PASSWORD@HOST:PORT with a password)`,
    );
  }
  return raw;
}

/** A URL as it may be shown: the password replaced, also when the URL does not parse. */
function maskPassword(raw: string): string {
  return raw.replace(/^([^:/]+:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}

function parseTrustProxy(raw: string | undefined): HeraldEnv['trustProxy'] {
  if (!raw || raw === '0' || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    return (_address, hop) => hop < hops;
  }
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A number of minutes, fractions allowed (0.5 = 30 s); unset or empty: undefined. */
function minutes(vars: NodeJS.ProcessEnv, name: string, max: number): number | undefined {
  const raw = vars[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > max) {
    throw new ConfigError(`${name} must be a number of minutes from 0 to ${max} (0 = at once), got '${raw}'`);
  }
  return value;
}

function integer(vars: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = vars[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

/** HERALD_SECRET's default: generated once, kept in ./data/secret (mode 600) so links stay valid across restarts. */
function storedSecret(dataDir: string): string {
  const path = join(dataDir, 'secret');
  try {
    if (existsSync(path)) return readFileSync(path, 'utf8').trim();
    mkdirSync(dirname(path), { recursive: true });
    const secret = randomBytes(32).toString('base64url');
    writeFileSync(path, `${secret}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
    chmodSync(path, PRIVATE_FILE_MODE);
    return secret;
  } catch (error) {
    const reason = (error as Error).message.split(',')[0];
    throw new ConfigError(
      `cannot keep HERALD_SECRET's file ${path} (${reason}); make ${dataDir} writable by this user, set HERALD_DATA_DIR to a directory it can write, or set HERALD_SECRET`,
    );
  }
}
