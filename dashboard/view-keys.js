// @ts-check
// The keys of one keyval zone, opened from the zones table: read through the API every few
// seconds while open (a zone may hold many keys: not every second), filtered and cut to a
// number of rows the page can show. Keys and values are anyone's data: text only.

const KEYS_REFRESH_MS = 5000;
const KEYS_SHOWN = 100;

class KeysPanel {
  /** @param {string} base */
  constructor(base) {
    this.base = base;
    /** @type {{name: string, context: 'http' | 'stream'} | null} */
    this.zone = null;
    /** @type {[string, string][] | null} */
    this.entries = null;
    /** @type {string | null} */
    this.error = null;
    this.dueMs = 0;
    byId('keys-filter').addEventListener('input', () => this.render());
    byId('keys-close').addEventListener('click', () => this.close());
  }

  /**
   * @param {string} name
   * @param {'http' | 'stream'} context
   */
  open(name, context) {
    this.zone = { name, context };
    this.entries = null;
    this.error = null;
    this.dueMs = 0;
    /** @type {HTMLInputElement} */ (byId('keys-filter')).value = '';
    byId('keys-section').hidden = false;
    fill(byId('keys-title'), [`Keys of ${name}`]);
    this.render();
    void this.refresh(Date.now());
    byId('keys-section').scrollIntoView({ block: 'nearest' });
  }

  close() {
    this.zone = null;
    this.entries = null;
    byId('keys-section').hidden = true;
  }

  /**
   * Reads the zone again when it is due.
   * @param {number} nowMs
   */
  async refresh(nowMs) {
    const zone = this.zone;
    if (zone === null || nowMs < this.dueMs) return;
    this.dueMs = nowMs + KEYS_REFRESH_MS;
    const result = await getJson(this.base, `/9/${zone.context}/keyvals/${encodeURIComponent(zone.name)}`);
    if (this.zone !== zone) return; // closed or another zone opened meanwhile
    if (result.ok) {
      this.entries = Object.entries(result.body).map(([k, v]) => [k, String(v)]);
      this.entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      this.error = null;
    } else {
      this.error = result.kind === 'http' ? `${result.status} ${result.text}` : result.text;
    }
    this.render();
  }

  render() {
    if (this.zone === null) return;
    const container = byId('keys');
    if (this.error !== null) {
      fill(container, [el('p', 'note bad', `The keys could not be read: ${this.error}`)]);
      return;
    }
    if (this.entries === null) {
      fill(container, [el('p', 'note', 'Reading…')]);
      return;
    }
    const filter = /** @type {HTMLInputElement} */ (byId('keys-filter')).value;
    const matching = filter === '' ? this.entries : this.entries.filter(([k, v]) => k.includes(filter) || v.includes(filter));
    const rows = matching.slice(0, KEYS_SHOWN).map(([key, value]) => el('tr', null, [el('td', 'mono key', key), el('td', 'mono', value)]));
    const count = matching.length > KEYS_SHOWN
      ? `${formatCount(matching.length)} keys match; the first ${KEYS_SHOWN} are shown`
      : `${plural(matching.length, 'key')}${filter === '' ? '' : ' match'}`;
    fill(container, [el('p', 'note', count), rows.length === 0 ? null : table(['Key', 'Value'], rows, 'keys')]);
  }
}
