import nodemailer from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { PermanentError, RecipientRejectedError, RetryableError, type ChannelError } from '../errors.js';

export interface SmtpSettings {
  /** smtp://user:pass@host:port or smtps://… (implicit TLS). `?tls=off` skips STARTTLS (local sinks only). */
  url: string;
  maxConnections?: number;
  /** At most `max` messages per `perMs` over the whole pool. */
  rate?: { max: number; perMs: number };
  dkim?: { domainName: string; keySelector: string; privateKey: string };
}

export function createPool(settings: SmtpSettings) {
  let url: URL;
  try {
    url = new URL(settings.url);
  } catch {
    throw new Error('SMTP_URL is not a URL; expected smtp://user:pass@host:port');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:')
    throw new Error(`SMTP_URL must start with smtp:// or smtps://, got ${url.protocol}//`);
  const options: SMTPPool.Options = {
    pool: true,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || (url.protocol === 'smtps:' ? 465 : 587)),
    secure: url.protocol === 'smtps:',
    ignoreTLS: url.searchParams.get('tls') === 'off',
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    maxConnections: settings.maxConnections ?? 5,
    maxMessages: Infinity,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
    ...(settings.rate ? { rateDelta: settings.rate.perMs, rateLimit: settings.rate.max } : {}),
    ...(settings.dkim ? { dkim: settings.dkim } : {}),
  };
  return nodemailer.createTransport(options);
}

const HARD_BOUNCE = new Set([550, 551, 553]);

/**
 * SMTP reply → typed error: 4xx → retry; 550/551/553 (mailbox unknown or refused) → this recipient failed and
 * suppressed; other 5xx → this recipient failed; no reply (connection, timeout) → retry. Messages carry the
 * server's reply, never the credentials.
 */
export function smtpError(error: unknown, suppressionHash: () => string): ChannelError {
  const e = error as { responseCode?: number; response?: string; code?: string; message?: string };
  const reply = (e.response ?? e.message ?? 'unknown error').replace(/\s+/g, ' ').slice(0, 300);
  const code = e.responseCode;
  if (code && code >= 400 && code < 500) return new RetryableError(`SMTP ${code}: ${reply}`);
  if (code && code >= 500) {
    const enhancedHard = /\b5\.1\.[0-3]\b/.test(reply);
    if (HARD_BOUNCE.has(code) || enhancedHard)
      return new RecipientRejectedError(`SMTP ${code} (hard bounce): ${reply}`, 'suppress', suppressionHash());
    return new RecipientRejectedError(`SMTP ${code}: ${reply}`, 'none');
  }
  if (e.code === 'EAUTH')
    return new PermanentError(`SMTP authentication failed: check the user and password in SMTP_URL (${reply})`);
  return new RetryableError(`SMTP ${e.code ?? 'error'}: ${reply}`);
}
