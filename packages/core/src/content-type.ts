/**
 * How an inbound webhook body is read, by its media type: JSON (also `+json` and no type at all),
 * URL-encoded forms, multipart forms, text (text/*, XML, CSV: kept as text) and anything else as
 * base64 with its type. `trigger.raw` keeps the exact body: UTF-8 text for the textual kinds,
 * base64 for multipart and binary bodies (they may hold bytes that are not text).
 */
export type BodyKind = 'json' | 'form' | 'multipart' | 'text' | 'binary';

/** `"Text/XML; charset=utf-8"` → `"text/xml"`; `""` when there is no header. */
export function mediaTypeOf(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export function bodyKindOf(mediaType: string): BodyKind {
  if (mediaType === '' || mediaType === 'application/json' || mediaType.endsWith('+json')) return 'json';
  if (mediaType === 'application/x-www-form-urlencoded') return 'form';
  if (mediaType === 'multipart/form-data') return 'multipart';
  if (mediaType.startsWith('text/') || mediaType === 'application/xml' || mediaType.endsWith('+xml') || mediaType === 'application/csv')
    return 'text';
  return 'binary';
}

export function rawEncodingOf(kind: BodyKind): 'utf8' | 'base64' {
  return kind === 'multipart' || kind === 'binary' ? 'base64' : 'utf8';
}

/** Named fields of a form body; a name sent twice holds an array in arrival order. */
export type Fields<V> = Record<string, V | V[]>;
export type FormFields = Fields<string>;

/** An empty field set without a prototype, so a field named `__proto__` is just a field. */
export function emptyFormFields<V = string>(): Fields<V> {
  return Object.create(null) as Fields<V>;
}

/** Adds a field; a repeated name becomes an array in arrival order. */
export function addFormField<V>(fields: Fields<V>, name: string, value: V): void {
  const prev = Object.hasOwn(fields, name) ? fields[name] : undefined;
  fields[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
}

export function parseFormUrlEncoded(text: string): FormFields {
  const fields = emptyFormFields();
  for (const [name, value] of new URLSearchParams(text)) addFormField(fields, name, value);
  return fields;
}
