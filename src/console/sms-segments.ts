// How many SMS parts a text costs (3GPP TS 23.038): GSM-7 when every character is in the GSM alphabet
// (extension characters take two septets), otherwise UCS-2 counted in UTF-16 code units.

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '^{}\\[~]|€\f';
const basic = new Set(GSM_BASIC);
const extended = new Set(GSM_EXTENDED);

export interface SmsSegments {
  encoding: 'GSM-7' | 'UCS-2';
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  segments: number;
  /** Units one part holds for this text (160/153 or 70/67). */
  perSegment: number;
  /** Characters that forced UCS-2, to show the commander what to replace. */
  nonGsm: string[];
}

export function smsSegments(text: string): SmsSegments {
  let septets = 0;
  const nonGsm = new Set<string>();
  for (const char of text) {
    if (basic.has(char)) septets += 1;
    else if (extended.has(char)) septets += 2;
    else nonGsm.add(char);
  }
  if (nonGsm.size === 0) {
    const perSegment = septets <= 160 ? 160 : 153;
    return {
      encoding: 'GSM-7',
      units: septets,
      segments: septets === 0 ? 0 : Math.ceil(septets / perSegment),
      perSegment,
      nonGsm: [],
    };
  }
  const units = text.length;
  const perSegment = units <= 70 ? 70 : 67;
  return {
    encoding: 'UCS-2',
    units,
    segments: Math.ceil(units / perSegment),
    perSegment,
    nonGsm: [...nonGsm].slice(0, 10),
  };
}
