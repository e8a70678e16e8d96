import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

const MASK = '***';

/**
 * JSON logger that never prints a secret: every configured secret value is replaced wherever it appears
 * (messages, error texts, nested fields), and common secret-bearing keys are redacted by name.
 */
export function createLogger(
  options: { level?: string; secrets?: Array<string | undefined>; destination?: NodeJS.WritableStream } = {},
): Logger {
  const secrets = (options.secrets ?? []).filter((s): s is string => typeof s === 'string' && s.length >= 4);
  const scrub = (value: unknown, depth = 0): unknown => {
    if (typeof value === 'string') return maskSecrets(value, secrets);
    if (depth > 6 || value === null || typeof value !== 'object') return value;
    if (value instanceof Error) {
      return {
        type: value.name,
        message: maskSecrets(value.message, secrets),
        stack: maskSecrets(value.stack ?? '', secrets),
      };
    }
    if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, depth + 1)]));
  };
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: {
        paths: [
          '*.authorization',
          '*.Authorization',
          'headers.authorization',
          'req.headers.authorization',
          '*.password',
          '*.token',
          '*.secret',
          '*.apiKey',
        ],
        censor: MASK,
      },
      formatters: { log: (object) => scrub(describeHttp(object)) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a) => (typeof a === 'string' ? maskSecrets(a, secrets) : a)) as Parameters<typeof method>,
          );
        },
      },
    },
    (options.destination ?? process.stdout) as pino.DestinationStream,
  );
}

/**
 * Fastify logs each request as { req } and { res }: its own objects, which this logger's formatter sees before
 * Fastify's serializers do. They become plain { method, url, ip } and { statusCode }, the shape those
 * serializers read, with the url cut before its query string, because confirm and unsubscribe links carry
 * their HMAC token there.
 */
function describeHttp(object: Record<string, unknown>): Record<string, unknown> {
  if (!object.req && !object.res) return object;
  const out = { ...object };
  const req = object.req as { method?: string; url?: string; ip?: string } | undefined;
  const res = object.res as { statusCode?: number } | undefined;
  if (req && typeof req === 'object') out.req = { method: req.method, url: req.url?.split('?')[0], ip: req.ip };
  if (res && typeof res === 'object') out.res = { statusCode: res.statusCode };
  return out;
}

export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(MASK);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret && out.includes(encoded)) out = out.split(encoded).join(MASK);
  }
  return out;
}

/** `smtp://user:pass@host` → `smtp://user:***@host`, for printing configuration. */
export function maskUrlPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = MASK;
    return parsed.toString();
  } catch {
    return url;
  }
}
