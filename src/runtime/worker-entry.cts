// The entry of the handler pool's threads, as piscina loads it: CommonJS, so that piscina's
// require() of its task file is an ordinary require and the ES module of the thread
// (worker.js) is loaded by import() alone. piscina require()s a task file before it tries
// import(); where require() takes ES modules (Node 20.19+, 22.12+), a require() that meets a
// module graph an import() is still loading in the same thread aborts the process on Node 20
// (a V8 fatal error; later Nodes throw). piscina takes a module marked __esModule as it is,
// and awaits its `default` when that is no function.
module.exports = { __esModule: true, default: import('./worker.js').then((m: { default: unknown }) => m.default) };
