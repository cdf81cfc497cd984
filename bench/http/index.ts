/**
 * The HTTP suite, `npm run bench:http`: requests per second and CPU per request under wrk
 * (throughput.ts), or with `-- --instructions`, instructions per request counted by
 * valgrind's callgrind (instructions.ts). Both take `--quick`.
 */
if (process.argv.includes('--instructions')) await import('./instructions.js');
else await import('./throughput.js');
