// A worker thread that attaches to zones from their handles and uses them.
import { parentPort, workerData } from 'node:worker_threads';
import { KeyvalZone, LimitReqZone, StickyZone } from '../../../dist/zones/index.js';

const kv = KeyvalZone.attach(workerData.keyval);
const lr = LimitReqZone.attach(workerData.limit);
const st = StickyZone.attach(workerData.sticky);
const seen = kv.get('from-main');
for (let i = 0; i < workerData.writes; i++) kv.set(`w${workerData.index}:${i}`, String(i));
let allowed = 0;
for (let i = 0; i < workerData.takes; i++) if (lr.take('shared-client', { burst: 1000, nodelay: true }).allowed) allowed++;
st.learn(`session-${workerData.index}`, `backend${workerData.index}:80`);
parentPort.postMessage({ seen, allowed, lookup: st.lookup('session-main') });
