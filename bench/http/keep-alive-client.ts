// A small load of a fixed size: `count` GET requests over a few keep-alive connections, each
// connection sending its next request once the answer to the last is read (node:http, no
// load generator: what is measured is the server's count of instructions, not a rate).
import { Agent, get } from 'node:http';

export interface Answered {
  requests: number;
  /** Answers that were not 2xx or 3xx. */
  non2xx: number;
  /** The body of the first answer. */
  firstBody: string;
}

/** An agent that keeps `connections` connections open between loads (destroy it to close them). */
export function keepAliveAgent(connections: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: connections });
}

/** Sends `count` requests to `url` through `agent`, `connections` at a time; rejects on the first failed request. */
export async function sendRequests(agent: Agent, url: string, count: number, connections: number): Promise<Answered> {
  const answered: Answered = { requests: 0, non2xx: 0, firstBody: '' };
  let sent = 0;
  const connection = async (): Promise<void> => {
    while (sent < count) {
      sent++;
      const { status, body } = await request(agent, url);
      if (answered.requests++ === 0) answered.firstBody = body;
      if (status < 200 || status >= 400) answered.non2xx++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(connections, count) }, connection));
  return answered;
}

function request(agent: Agent, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    }).on('error', reject);
  });
}
