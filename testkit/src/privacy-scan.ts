/**
 * The privacy guard's scanner: finds identifiers (mailbox ids, message ids, keys) in
 * telemetry and log text, in every encoding a careless line could use.
 */
export function identifierForms(id: Uint8Array): string[] {
  const b = Buffer.from(id);
  const hex = b.toString('hex');
  return [hex, hex.toUpperCase(), b.toString('base64'), b.toString('base64url')].filter(
    (f) => f.length >= 16,
  );
}

/** Each identifier (by index) found in the text, in any of its forms. */
export function findIdentifiers(text: string, ids: readonly Uint8Array[]): number[] {
  const found: number[] = [];
  ids.forEach((id, i) => {
    if (identifierForms(id).some((f) => text.includes(f))) found.push(i);
  });
  return found;
}

/** True when the text holds something shaped like an IPv4 address. */
export function hasIpAddress(text: string): boolean {
  return /\b(?:\d{1,3}\.){3}\d{1,3}\b/.test(text);
}
