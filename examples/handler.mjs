// examples/handler.mjs: run it with  node dist/primary.js --handler examples/handler.mjs
// A handler module's default export runs on the worker thread that took the request: it
// gets the request (plain data) and the node's zones. This one uses the zones of
// examples/zonesync.conf, the configuration a node runs without --config.
export default function handle(req, ctx) {
  const denylist = ctx.keyval.get('denylist'); // KeyvalZone, type=ip
  const sessions = ctx.sticky.get('sessions'); // StickyZone: session id → server
  if (!denylist || !sessions) return text(500, 'this handler needs the zones "denylist" and "sessions" of examples/zonesync.conf\n');

  // Every thread of every node sees the same zones: a block added through the API of any node is matched here.
  const reason = denylist.match(req.remoteAddress);
  if (reason) return text(403, `${req.remoteAddress} is denied: ${reason}\n`);

  // A session belongs to the worker that saw it first, and every worker of every node knows which one.
  const id = new URL(req.url, 'http://localhost').searchParams.get('session');
  if (!id) return text(200, `hello from node ${ctx.nodeName}, worker ${ctx.workerId}\n`);
  let owner;
  try {
    owner = sessions.lookup(id);
    if (owner === undefined) sessions.learn(id, (owner = `worker ${ctx.workerId}`));
  } catch (error) {
    return text(400, `${error.message}\n`); // ZoneArgumentError: an id longer than the zone's 32 bytes
  }
  return text(200, `session ${id} belongs to ${owner}; served by node ${ctx.nodeName}, worker ${ctx.workerId}\n`);
}

function text(status, body) {
  return { status, headers: { 'content-type': 'text/plain' }, body };
}
