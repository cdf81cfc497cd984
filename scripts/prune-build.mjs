#!/usr/bin/env node
// Before `npm pack`: removes from each package's build directory the outputs whose source
// file is gone (a source deleted or moved since the last build). `tsc -b` never deletes
// them, and a package must not ship code, or source maps, of sources it does not contain.
// Run from the repository's root; prints what it removed.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Each build directory and the source directory its files are compiled from. */
const BUILDS = [
  { out: 'dist', src: 'src' },
  { out: 'native-free-shm/dist', src: 'native-free-shm/src' },
];

/** dist/a/b.js, .d.ts, .js.map, .d.ts.map → src/a/b.ts; null for files tsc does not emit. */
function sourceOf(build, file) {
  const match = /^(.*?)(\.d\.ts\.map|\.js\.map|\.d\.ts|\.js)$/.exec(relative(build.out, file));
  return match === null ? null : join(build.src, `${match[1]}.ts`);
}

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

for (const build of BUILDS) {
  if (!existsSync(build.out)) continue;
  for (const file of files(build.out)) {
    const source = sourceOf(build, file);
    if (source !== null && !existsSync(source)) {
      rmSync(file);
      console.log(`removed ${file}: ${source} is gone`);
    }
  }
}
