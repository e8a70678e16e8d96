import { SMTPServer } from 'smtp-server';

export interface SmtpRefusal {
  code: number;
  message: string;
}

export interface ChaosSmtpOptions {
  /**
   * Decides each RCPT TO: undefined accepts; a refusal answers with that SMTP code. `tries` counts the RCPT
   * commands seen for this address so far, this one included (1 on the first try).
   */
  refuse?: (address: string, tries: number) => SmtpRefusal | undefined;
}

/**
 * A real SMTP server on 127.0.0.1 for the chaos suites. Counts every accepted message by its Message-ID (one
 * per update and recipient: Herald's ids are stable across retries), and by envelope sender, which the
 * scale-out suite sets per worker process as a marker of who did the work.
 */
export interface ChaosSmtp {
  url: string;
  /** Accepted copies per Message-ID. */
  byMessageId: Map<string, number>;
  /** Accepted messages per envelope sender (MAIL FROM). */
  bySender: Map<string, number>;
  total(): number;
  firstAt(): number | undefined;
  lastAt(): number | undefined;
  /** Refuse every RCPT with this reply until `untilMs` (a provider-wide 421 burst). */
  refuseAllUntil(refusal: SmtpRefusal, untilMs: number): void;
  close(): Promise<void>;
}

export async function startChaosSmtp(options: ChaosSmtpOptions = {}): Promise<ChaosSmtp> {
  const byMessageId = new Map<string, number>();
  const bySender = new Map<string, number>();
  const tries = new Map<string, number>();
  let total = 0;
  let firstAt: number | undefined;
  let lastAt: number | undefined;
  let burst: { refusal: SmtpRefusal; untilMs: number } | undefined;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    maxClients: 500,
    size: 10 * 1024 * 1024,
    onRcptTo(address, _session, callback) {
      const a = address.address.toLowerCase();
      const n = (tries.get(a) ?? 0) + 1;
      tries.set(a, n);
      const refusal = burst && Date.now() < burst.untilMs ? burst.refusal : options.refuse?.(a, n);
      if (refusal) return callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
      callback();
    },
    onData(stream, session, callback) {
      let head = '';
      stream.on('data', (chunk: Buffer) => {
        if (head.length < 16_384) head += chunk.toString('latin1');
      });
      stream.on('end', () => {
        const headers = head.split(/\r?\n\r?\n/, 1)[0] ?? '';
        const id = /^message-id:\s*(<[^>\r\n]+>)/im.exec(headers)?.[1] ?? `(no id ${total})`;
        byMessageId.set(id, (byMessageId.get(id) ?? 0) + 1);
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address.toLowerCase() : '';
        bySender.set(from, (bySender.get(from) ?? 0) + 1);
        total++;
        firstAt ??= Date.now();
        lastAt = Date.now();
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return {
    url: `smtp://127.0.0.1:${port}?tls=off`,
    byMessageId,
    bySender,
    total: () => total,
    firstAt: () => firstAt,
    lastAt: () => lastAt,
    refuseAllUntil(refusal, untilMs) {
      burst = { refusal, untilMs };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
