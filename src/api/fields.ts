// The "fields" query parameter of the NGINX Plus API: which fields of the answer's objects
// to output. Absent: all. Empty: none (a collection then lists only its members' names).

/** The field names of ?fields=a,b, or null when the parameter is absent. */
export function parseFields(query: URLSearchParams): ReadonlySet<string> | null {
  const raw = query.get('fields');
  if (raw === null) return null;
  return new Set(raw.split(',').map((f) => f.trim()).filter((f) => f !== ''));
}

export function pickFields<T extends object>(object: T, fields: ReadonlySet<string> | null): Partial<T> {
  if (fields === null) return object;
  const out = Object.create(null) as Record<string, unknown>;
  for (const [name, value] of Object.entries(object)) {
    if (fields.has(name)) out[name] = value;
  }
  return out as Partial<T>;
}

/** A collection ({name: object}) with the fields picked from every member. */
export function pickMemberFields<T extends object>(
  collection: Record<string, T>, fields: ReadonlySet<string> | null,
): Record<string, Partial<T>> {
  if (fields === null) return collection;
  const out = Object.create(null) as Record<string, Partial<T>>;
  for (const [name, member] of Object.entries(collection)) out[name] = pickFields(member, fields);
  return out;
}
