// Subscriber CSV, shared by `herald subscriber import` and the console's import form.

export class CsvError extends Error {
  override name = 'CsvError';
}

/** Minimal RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  row.push(field);
  if (row.some((f) => f !== '')) rows.push(row);
  return rows;
}

/**
 * CSV with a header row: `email`, `phone`, `webhook_url` (one of them per row) and optional `components`
 * (component ids separated by ';' or spaces).
 */
export function csvToSubscribers(text: string, file: string) {
  const [header, ...rows] = parseCsv(text.replace(/^\uFEFF/, ''));
  if (!header) throw new CsvError(`${file} is empty; expected a header row such as: email,components`);
  const names = header.map((h) =>
    h
      .trim()
      .toLowerCase()
      .replace(/[\s-]+/g, '_'),
  );
  const col = (name: string) => names.indexOf(name);
  const [email, phone, webhook, components] = [
    col('email'),
    Math.max(col('phone'), col('phone_number')),
    Math.max(col('webhook_url'), col('webhook')),
    col('components'),
  ];
  if (email < 0 && phone < 0 && webhook < 0)
    throw new CsvError(`${file}: the header needs an email, phone or webhook_url column (got: ${header.join(', ')})`);
  return rows.map((r) => {
    const value = (i: number) => (i >= 0 ? (r[i] ?? '').trim() : '');
    const ids = value(components)
      .split(/[;\s]+/)
      .filter(Boolean);
    return {
      ...(value(email) ? { email: value(email) } : {}),
      ...(value(phone) ? { phone: value(phone) } : {}),
      ...(value(webhook) ? { webhookUrl: value(webhook) } : {}),
      ...(ids.length ? { components: ids } : {}),
    };
  });
}
