// An auth_basic_user_file: lines "login:hash[:comment]", "#" starting a comment line, as
// nginx reads it. nginx opens the file on every request, so that a changed file applies at
// once; here it is read again when its size, mtime or inode change, and kept otherwise.

import { readFile, stat } from 'node:fs/promises';
import { checkPassword } from './password-hash.js';

interface Snapshot {
  readonly sizeBytes: number;
  readonly mtimeMs: number;
  readonly ino: number;
  /** login (latin1) → hash (latin1); the first line of a login wins, as in nginx. */
  readonly users: ReadonlyMap<string, string>;
}

export class HtpasswdFile {
  readonly path: string;
  private snapshot: Snapshot | null = null;

  constructor(path: string) {
    this.path = path;
  }

  /**
   * Whether the user is in the file with this password. Rejects when the file cannot be
   * read (nginx answers 500 then, and so does the API).
   */
  async verify(user: string, password: Uint8Array): Promise<boolean> {
    const users = await this.users();
    const hash = users.get(user);
    return hash !== undefined && checkPassword(password, hash);
  }

  async users(): Promise<ReadonlyMap<string, string>> {
    const st = await stat(this.path);
    const cached = this.snapshot;
    if (cached !== null && cached.sizeBytes === st.size && cached.mtimeMs === st.mtimeMs && cached.ino === st.ino) {
      return cached.users;
    }
    const users = parseHtpasswd((await readFile(this.path)).toString('latin1'));
    this.snapshot = { sizeBytes: st.size, mtimeMs: st.mtimeMs, ino: st.ino, users };
    return users;
  }
}

export function parseHtpasswd(text: string): Map<string, string> {
  const users = new Map<string, string>();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const login = line.slice(0, colon);
    const end = line.indexOf(':', colon + 1);
    const hash = end < 0 ? line.slice(colon + 1) : line.slice(colon + 1, end);
    if (!users.has(login)) users.set(login, hash);
  }
  return users;
}
