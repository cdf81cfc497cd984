// Which node each request of a stream goes to: patterns shared by the simulated and the
// real-node limit_req tests, so that both send the same traffic.

/** Request n goes to node n mod count. */
export function alternating(count: number): (n: number) => number {
  return (n) => n % count;
}

/**
 * Traffic split by weights (such as [0.8, 0.2]), interleaved as evenly as the weights allow
 * (each request goes to the node furthest behind its weight).
 */
export function weighted(weights: readonly number[]): (n: number) => number {
  const credit = weights.map(() => 0);
  const plan: number[] = [];
  return (n) => {
    while (plan.length <= n) {
      weights.forEach((w, i) => { credit[i]! += w; });
      let best = 0;
      for (let i = 1; i < credit.length; i++) if (credit[i]! > credit[best]!) best = i;
      credit[best]! -= 1;
      plan.push(best);
    }
    return plan[n]!;
  };
}
