import { randomBytes } from 'node:crypto';
import http from 'node:http';

// A Twilio Messages API fake on 127.0.0.1: POST /2010-04-01/Accounts/{Sid}/Messages.json with Basic auth and a
// form body (To, From, Body). Success: 201 with the Message resource JSON. Failure: Twilio's error JSON
// {code, message, more_info, status}.

export interface FakeMessage {
  sid: string;
  to: string;
  from: string;
  body: string;
}

export type FakeAnswer = '429' | '500' | '21211' | '21614' | 'auth';

export interface TwilioFake {
  url: string;
  accountSid: string;
  authToken: string;
  messages: FakeMessage[];
  /** Answers for the next requests to a number (or '*' for any), consumed in order. */
  failNext(to: string, ...answers: FakeAnswer[]): void;
  /** Retry-After (seconds) the fake's 429 announces; default 1. */
  retryAfterSeconds: number;
  /** Numbers that always get 21211 (invalid 'To'). */
  invalid: Set<string>;
  requests: number;
  close(): Promise<void>;
}

const errorBody = (code: number, message: string, status: number) =>
  JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

export async function startTwilioFake(): Promise<TwilioFake> {
  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  const authToken = randomBytes(16).toString('hex');
  const messages: FakeMessage[] = [];
  const queued = new Map<string, FakeAnswer[]>();
  const invalid = new Set<string>();
  const fake = { requests: 0, retryAfterSeconds: 1 };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      fake.requests++;
      response.setHeader('content-type', 'application/json');
      const expectedAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
      if (request.method !== 'POST' || request.url !== `/2010-04-01/Accounts/${accountSid}/Messages.json`) {
        response.statusCode = 404;
        return response.end(errorBody(20404, 'The requested resource was not found', 404));
      }
      if (request.headers.authorization !== expectedAuth) {
        response.statusCode = 401;
        return response.end(errorBody(20003, 'Authenticate', 401));
      }
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const to = form.get('To') ?? '';
      const from = form.get('From') ?? '';
      const body = form.get('Body') ?? '';
      if (!to) {
        response.statusCode = 400;
        return response.end(errorBody(21604, "A 'To' phone number is required.", 400));
      }
      const answers = queued.get(to)?.length ? queued.get(to)! : (queued.get('*') ?? []);
      const next = answers.shift() ?? (invalid.has(to) ? '21211' : undefined);
      if (next === '429') {
        response.statusCode = 429;
        response.setHeader('retry-after', String(fake.retryAfterSeconds));
        return response.end(errorBody(20429, 'Too Many Requests', 429));
      }
      if (next === '500') {
        response.statusCode = 500;
        return response.end(errorBody(20500, 'Internal Server Error', 500));
      }
      if (next === '21211') {
        response.statusCode = 400;
        return response.end(errorBody(21211, `The 'To' number ${to} is not a valid phone number.`, 400));
      }
      if (next === '21614') {
        response.statusCode = 400;
        return response.end(errorBody(21614, `'To' number is not a valid mobile number`, 400));
      }
      if (next === 'auth') {
        response.statusCode = 401;
        return response.end(errorBody(20003, 'Authenticate', 401));
      }
      const sid = `SM${randomBytes(16).toString('hex')}`;
      messages.push({ sid, to, from, body });
      const now = new Date().toUTCString();
      response.statusCode = 201;
      response.end(
        JSON.stringify({
          account_sid: accountSid,
          api_version: '2010-04-01',
          body,
          date_created: now,
          date_sent: null,
          date_updated: now,
          direction: 'outbound-api',
          error_code: null,
          error_message: null,
          from,
          messaging_service_sid: null,
          num_media: '0',
          num_segments: '1',
          price: null,
          price_unit: 'USD',
          sid,
          status: 'queued',
          subresource_uris: { media: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}/Media.json` },
          to,
          uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    accountSid,
    authToken,
    messages,
    invalid,
    get requests() {
      return fake.requests;
    },
    get retryAfterSeconds() {
      return fake.retryAfterSeconds;
    },
    set retryAfterSeconds(seconds: number) {
      fake.retryAfterSeconds = seconds;
    },
    failNext(to, ...answers) {
      queued.set(to, [...(queued.get(to) ?? []), ...answers]);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
