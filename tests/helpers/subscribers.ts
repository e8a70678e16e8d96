import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.js';
import { newSubscriberRow } from '../../src/store/subscribers-repo.js';

/** Inserts `n` confirmed subscribers of a kind directly (fast fixtures for fan-out tests and the bench). */
export async function seedSubscribers(
  db: Kysely<Database>,
  n: number,
  options: {
    kind?: 'email' | 'sms' | 'webhook';
    address?: (i: number) => string;
    components?: (i: number) => string[];
    secret?: (i: number) => string | null;
    batch?: number;
  } = {},
): Promise<string[]> {
  const kind = options.kind ?? 'email';
  const now = new Date().toISOString();
  const ids: string[] = [];
  const batch = options.batch ?? 500;
  for (let start = 0; start < n; start += batch) {
    const rows = [];
    for (let i = start; i < Math.min(n, start + batch); i++) {
      // Sortable ids, like ulid: keyset order is insertion order.
      const id = `s${i.toString().padStart(9, '0')}${randomBytes(4).toString('hex')}`;
      ids.push(id);
      rows.push(
        newSubscriberRow(
          {
            kind,
            address: options.address?.(i) ?? `user${i}@example.test`,
            components: options.components?.(i) ?? [],
            confirmed: true,
            secret: options.secret?.(i) ?? null,
          },
          now,
          id,
        ),
      );
    }
    await db.insertInto('subscribers').values(rows).execute();
  }
  return ids;
}

export async function tableCounts(db: Kysely<Database>) {
  const count = async (table: 'subscribers' | 'suppressions' | 'recipient_deliveries') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirst()
      )?.n ?? 0,
    );
  return {
    subscribers: await count('subscribers'),
    suppressions: await count('suppressions'),
    recipients: await count('recipient_deliveries'),
  };
}

export const randomSecret = () => randomBytes(24).toString('base64url');
