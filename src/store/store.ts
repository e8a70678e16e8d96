import type { Kysely } from 'kysely';
import { type Dialect, migrateToLatest, openDatabase } from './db.js';
import type { Database } from './schema.js';

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  description: string;
  close(): Promise<void>;
}

export async function openStore(url: string, options: { migrate?: boolean } = {}): Promise<Store> {
  const { db, dialect, description } = openDatabase(url);
  if (options.migrate ?? true) await migrateToLatest(db);
  return { db, dialect, description, close: () => db.destroy() };
}
