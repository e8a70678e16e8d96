// A second process writing one SQLite file, as a `herald worker` does during a fan-out: read-then-write
// transactions in a loop. argv: DATABASE_PATH INCIDENT_ID MILLISECONDS. Prints "ready" once writing, then the
// numbers of transactions committed and refused as busy when done.
import { openStore } from '../../src/store/store.js';

const [path, incidentId, ms] = process.argv.slice(2);
const store = await openStore(path!, { migrate: false });
const until = Date.now() + Number(ms);
let committed = 0;
let busy = 0;
let announced = false;
while (Date.now() < until) {
  try {
    await store.db.transaction().execute(async (tx) => {
      await tx.selectFrom('incidents').select('id').where('id', '=', incidentId!).execute();
      await tx
        .updateTable('incidents')
        .set({ updated_at: new Date().toISOString() })
        .where('id', '=', incidentId!)
        .execute();
    });
    committed++;
  } catch (error) {
    // The same "database is locked" the API answers with; this writer keeps going.
    if (!/locked|busy/i.test(String(error))) throw error;
    busy++;
  }
  if (!announced) {
    announced = true;
    process.stdout.write('ready\n');
  }
}
process.stdout.write(`${committed} committed, ${busy} busy\n`);
await store.close();
