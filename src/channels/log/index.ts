import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { PRIVATE_DIRECTORY_MODE, makePrivateFile } from '../../lib/private-files.js';
import type { Channel, ChannelDefinition } from '../channel.js';
import { RetryableError } from '../errors.js';

export interface LogChannelOptions {
  /** Channel name; default `log`. */
  name?: string;
  /** Append each message as a JSON line here; default: Herald's log. */
  file?: string;
}

export interface LogMessage {
  text: string;
}

/** A development channel: shows what an update looks like as text, on the log or in a JSON-lines file. */
export function log(options: LogChannelOptions = {}): ChannelDefinition<Channel<LogMessage>> {
  const name = options.name ?? 'log';
  return {
    name,
    kind: 'log',
    create(runtime) {
      const template = runtime.templates.compile('log', 'message.txt.hbs');
      const file = options.file ? resolve(runtime.dataDir, options.file) : undefined;
      return {
        name,
        kind: 'log',
        capabilities: { threads: false, audience: false, concurrency: 1 },
        render: (ctx) => ({ text: template(ctx).trim() }),
        preview: (message) => [{ label: 'Log message', text: message.text }],
        measure: () => [],
        templates: { folder: 'log' },
        async send(message, target) {
          if (!file) {
            runtime.logger.info({ channel: name, text: message.text }, 'log channel message');
            return { externalId: target.idempotencyKey };
          }
          try {
            // The owner's alone, as Herald's other files on disk: 0600 whatever the umask (a rotated file too).
            await mkdir(dirname(file), { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
            makePrivateFile(file, { create: true });
            await appendFile(
              file,
              `${JSON.stringify({ id: target.idempotencyKey, at: new Date().toISOString(), text: message.text })}\n`,
            );
          } catch (error) {
            throw new RetryableError(`could not write ${file}: ${(error as Error).message}`);
          }
          return { externalId: target.idempotencyKey };
        },
      };
    },
  };
}
