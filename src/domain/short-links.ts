// Short incident links for SMS: `/i/<code>` on Herald's address, answered with a redirect to the incident's page.
// The code is the id's first 13 characters when the id is one of Herald's own (10 of time, 3 random: two incidents
// would need the same millisecond and 15 random bits to share one), the whole id otherwise. Nothing is stored:
// the route looks the incident up by that prefix.

const HERALD_ID = /^[0-9a-hjkmnp-tv-z]{26}$/;
export const SHORT_CODE_LENGTH = 13;

export const shortCodeOf = (incidentId: string): string =>
  HERALD_ID.test(incidentId) ? incidentId.slice(0, SHORT_CODE_LENGTH) : encodeURIComponent(incidentId);

/** A code as a link carries it: Herald's alphabet, or an id of other characters (a lookup refuses the rest). */
export const isShortCode = (code: string): boolean => /^[0-9A-Za-z_-]{1,64}$/.test(code);

export const shortIncidentUrl = (appUrl: string, incidentId: string): string =>
  `${appUrl.replace(/\/+$/, '')}/i/${shortCodeOf(incidentId)}`;
