import { SETTLED_DELIVERY_STATES } from '../../domain/enums.js';
import { nowIso } from '../../domain/ids.js';
import type { Delivery } from '../../domain/types.js';
import { getDelivery, recordOutcome } from '../../store/deliveries-repo.js';
import type { Executor } from '../../store/executor.js';
import { getFanout } from '../../store/fanout-repo.js';

export const isSettled = (d: Delivery) => SETTLED_DELIVERY_STATES.includes(d.state);

/** When planning is over and every recipient is recorded, the delivery row ends delivered, partial, failed or skipped. */
export async function settleIfDone(
  db: Executor,
  deliveryId: string,
  generation: number,
): Promise<Delivery['state'] | undefined> {
  const fanout = await getFanout(db, deliveryId);
  if (!fanout || Number(fanout.generation) !== generation || Number(fanout.planned) !== 1) return undefined;
  const delivery = await getDelivery(db, deliveryId);
  if (!delivery || delivery.generation !== generation) return undefined;
  if (isSettled(delivery)) return delivery.state;
  if (delivery.delivered + delivery.failed < delivery.total) return undefined;
  const { total, delivered, failed } = delivery;
  const state = total === 0 ? 'skipped' : failed === 0 ? 'delivered' : delivered === 0 ? 'failed' : 'partial';
  const error =
    state === 'skipped'
      ? 'no confirmed subscriber matches this update'
      : failed > 0
        ? `${failed} of ${total} recipient(s) failed; see the server log for reasons`
        : null;
  await recordOutcome(db, deliveryId, generation, { state, error }, nowIso());
  return state;
}
