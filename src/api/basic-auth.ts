// The credentials of an "Authorization: Basic base64(user:password)" header (RFC 7617), as
// nginx reads them: the user is everything before the first ":", the password the rest.

export interface BasicCredentials {
  /** The user's bytes as latin1 text, to compare with the user file's logins byte for byte. */
  readonly user: string;
  readonly password: Uint8Array;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** null when the header is absent or not Basic credentials. */
export function parseBasicAuth(header: string | undefined): BasicCredentials | null {
  if (header === undefined) return null;
  const match = /^\s*basic\s+(\S+)\s*$/i.exec(header);
  if (match === null || !BASE64.test(match[1]!)) return null;
  const decoded = Buffer.from(match[1]!, 'base64');
  const colon = decoded.indexOf(0x3a);
  if (colon <= 0) return null;
  return { user: decoded.subarray(0, colon).toString('latin1'), password: decoded.subarray(colon + 1) };
}

/** The WWW-Authenticate value of a 401: the realm quoted, its quotes and backslashes escaped. */
export function basicChallenge(realm: string): string {
  const printable = realm.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, '\\$&');
  return `Basic realm="${printable}"`;
}
