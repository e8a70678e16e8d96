import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { SMTPServer } from 'smtp-server';

export interface SmtpSinkOptions {
  /** Keep each raw message (tests that parse them); off for counting sinks. */
  keep?: boolean;
  /** Answer RCPT TO for an address with an SMTP error, e.g. { code: 550, message: 'No such user' }. */
  reject?: (address: string) => { code: number; message: string } | undefined;
  port?: number;
  /** Require AUTH PLAIN/LOGIN (over plain text: a local sink) with these credentials. */
  auth?: { user: string; pass: string };
}

export interface SmtpSink {
  port: number;
  url: string;
  /** Accepted messages per recipient address. */
  counts: Map<string, number>;
  messages: Array<{ to: string[]; raw: Buffer }>;
  /** Answers the next RCPT TO with this SMTP error (a 4xx "try later", a 5xx refusal). */
  failNext(reply: { code: number; message: string }): void;
  total(): number;
  firstAt(): number | undefined;
  lastAt(): number | undefined;
  close(): Promise<void>;
}

/** A real SMTP server on 127.0.0.1 that accepts (or refuses, per `reject`) and counts per recipient. */
export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const counts = new Map<string, number>();
  const messages: Array<{ to: string[]; raw: Buffer }> = [];
  let total = 0;
  let firstAt: number | undefined;
  let lastAt: number | undefined;
  const failures: Array<{ code: number; message: string }> = [];
  const auth = options.auth;
  const server = new SMTPServer({
    authOptional: !auth,
    allowInsecureAuth: true,
    disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    logger: false,
    maxClients: 200,
    size: 10 * 1024 * 1024,
    onAuth(login, _session, callback) {
      if (auth && login.username === auth.user && login.password === auth.pass)
        return callback(null, { user: auth.user });
      callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      const refusal = failures.shift() ?? options.reject?.(address.address.toLowerCase());
      if (refusal) return callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        if (options.keep) chunks.push(chunk);
      });
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
        for (const address of to) counts.set(address, (counts.get(address) ?? 0) + 1);
        total++;
        firstAt ??= Date.now();
        lastAt = Date.now();
        if (options.keep) messages.push({ to, raw: Buffer.concat(chunks) });
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}?tls=off`,
    counts,
    messages,
    failNext: (reply) => failures.push(reply),
    total: () => total,
    firstAt: () => firstAt,
    lastAt: () => lastAt,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// Run as a process of its own (the bench): prints {"smtpPort", "statsPort"} and serves GET /stats.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sink = await startSmtpSink();
  const stats = http.createServer((request, response) => {
    if (request.url === '/reset') {
      sink.counts.clear();
    }
    let duplicates = 0;
    for (const n of sink.counts.values()) duplicates += n - 1;
    response.setHeader('content-type', 'application/json');
    response.end(
      JSON.stringify({
        total: sink.total(),
        distinct: sink.counts.size,
        duplicates,
        firstAt: sink.firstAt(),
        lastAt: sink.lastAt(),
      }),
    );
  });
  await new Promise<void>((resolve) => stats.listen(0, '127.0.0.1', resolve));
  process.stdout.write(
    `${JSON.stringify({ smtpPort: sink.port, statsPort: (stats.address() as { port: number }).port })}\n`,
  );
}
