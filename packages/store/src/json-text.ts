/** User JSON is stored as text (see documents.ts). */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

export function fromJsonText(text: string | null | undefined): unknown {
  return text === null || text === undefined ? null : (JSON.parse(text) as unknown);
}
