import { InputError } from '../domain/errors.js';
import { nowIso } from '../domain/ids.js';
import type { Component, SubscriberKind } from '../domain/types.js';
import { listComponents, unknownComponentIds } from '../store/components-repo.js';
import { findSubscriberById, setSubscriberComponents, toSubscriber } from '../store/subscribers-repo.js';
import { type SignupOptions, type SubscriberDeps, canConfirm, publicSubscribe, removeSubscriber } from './service.js';
import { verifyToken } from '../domain/link-tokens.js';

// The preference page behind the "Manage subscription" link of every email: the subscriber picks the components
// they follow and the channels they get updates on, without an account. The link's token (an HMAC, compared in
// constant time) is the only credential; it names the subscriber and nothing else.

export interface Preferences {
  subscriberId: string;
  kind: SubscriberKind;
  address: string;
  /** Empty: every component. */
  following: string[];
  components: Component[];
  /** SMS can be added from this page (an SMS channel with opt-in is enabled and this is not already SMS). */
  canAddSms: boolean;
  /** This subscription's own kind has its channel configured (else nothing is sent to it for now). */
  kindOffered: boolean;
}

export type PreferencesOutcome = { ok: true; preferences: Preferences } | { ok: false; problem: string };

export async function loadPreferences(deps: SubscriberDeps, token: unknown): Promise<PreferencesOutcome> {
  const check = verifyToken(deps.secret, 'manage', token);
  if (!check.ok) {
    return {
      ok: false,
      problem:
        check.reason === 'expired'
          ? 'this link has expired; use the link in a more recent email'
          : 'this link is not valid; copy the whole link from the email',
    };
  }
  const row = await findSubscriberById(deps.db, check.subscriberId);
  if (!row) return { ok: false, problem: 'this subscription no longer exists; sign up again on the status page' };
  const subscriber = toSubscriber(row);
  return {
    ok: true,
    preferences: {
      subscriberId: subscriber.id,
      kind: subscriber.kind,
      address: row.address,
      following: subscriber.components,
      components: await listComponents(deps.db),
      canAddSms: subscriber.kind !== 'sms' && canConfirm(deps, 'sms'),
      kindOffered: canConfirm(deps, subscriber.kind),
    },
  };
}

/** The form as posted: `scope` all|some, `components` (ids), `keep` (present: stay subscribed here), `phone`. */
export interface PreferencesForm {
  scope?: string;
  components?: string[];
  keep?: string;
  phone?: string;
}

export type SaveOutcome =
  | { ok: true; unsubscribed: boolean; smsRequested: boolean; following: string[] }
  | { ok: false; problem: string };

const E164 = /^\+[1-9]\d{6,14}$/;

/** Saves the choices; they apply to the next update the fan-out plans. Bad input is an InputError naming the field. */
export async function savePreferences(
  deps: SubscriberDeps,
  token: unknown,
  form: PreferencesForm,
  signup: SignupOptions,
): Promise<SaveOutcome> {
  const loaded = await loadPreferences(deps, token);
  if (!loaded.ok) return loaded;
  const { preferences } = loaded;
  if (form.scope !== 'all' && form.scope !== 'some')
    throw InputError.field('scope', "must be 'all' (every component) or 'some' (the ticked ones)");
  const chosen = form.scope === 'all' ? [] : [...new Set(form.components ?? [])];
  if (form.scope === 'some' && chosen.length === 0)
    throw InputError.field('components', 'tick at least one component, or choose every component');
  const unknown = await unknownComponentIds(deps.db, chosen);
  if (unknown.length > 0)
    throw InputError.field('components', `no component with id '${unknown[0]}'; reload the page and choose again`);
  const phone = form.phone?.trim();
  if (phone && !preferences.canAddSms)
    throw InputError.field('phone', 'SMS updates are not offered on this status page');
  if (phone && !E164.test(phone))
    throw InputError.field('phone', 'must be an E.164 number such as +14155550100 (a +, the country code, no spaces)');

  // An SMS subscription of its own, with the same components, confirmed by the number's owner (double opt-in).
  if (phone) await publicSubscribe(deps, { phone, components: chosen }, signup);
  if (form.keep === undefined) {
    await removeSubscriber(deps, preferences.subscriberId, 'unsubscribed on the preference page');
    return { ok: true, unsubscribed: true, smsRequested: Boolean(phone), following: chosen };
  }
  await setSubscriberComponents(deps.db, preferences.subscriberId, chosen, nowIso());
  return { ok: true, unsubscribed: false, smsRequested: Boolean(phone), following: chosen };
}
