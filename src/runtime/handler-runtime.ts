import { pathToFileURL } from 'node:url';
import { defaultHandlerFor } from './default-handler.js';
import type { Handler, HandlerContext, HandlerRequest, HandlerResponse, UpstreamInfo } from './handler-types.js';
import type { Variables } from '../gateway/variables.js';
import { OffloadPool } from './offload.js';
import type { ZoneSet } from './zone-set.js';

/** What a thread that runs handlers knows of its node. */
export interface HandlerRuntimeOptions {
  zones: ZoneSet;
  upstreams: readonly UpstreamInfo[];
  nodeId: number;
  nodeName: string;
  /** The thread's id, handlers' ctx.workerId. */
  workerId: number;
  /** Threads of the pool behind ctx.run. */
  offloadThreads: number;
  /** The thread's variables (variablesFor), behind ctx.vars. */
  variables: Variables;
}

/**
 * The handlers of one thread: their context (every zone, the upstreams, who serves) and the
 * handler modules, each loaded once; a module that fails to load fails every request of its
 * locations with that error (never the thread).
 */
export class HandlerRuntime {
  /** The context of the configuration the thread started with. */
  readonly context: HandlerContext;
  private readonly options: HandlerRuntimeOptions;
  private readonly offload: OffloadPool;
  private readonly loading = new Map<string, Promise<Handler>>();
  private readonly loaded = new Map<string, Handler>();
  /** The built-in handler made for each context in use (a reload makes a new context; requests under the old one finish with it). */
  private readonly builtIns = new WeakMap<HandlerContext, Handler>();

  constructor(options: HandlerRuntimeOptions) {
    this.options = options;
    this.offload = new OffloadPool(options.offloadThreads);
    this.context = this.contextOf(options.upstreams, options.variables);
  }

  /** The context of a reloaded configuration: its upstreams and variables; the same zones, node and offload pool. */
  contextOf(upstreams: readonly UpstreamInfo[], variables: Variables): HandlerContext {
    const { zones, nodeId, nodeName, workerId } = this.options;
    const offload = this.offload;
    return {
      keyval: zones.keyval, limitReq: zones.limitReq, sticky: zones.sticky, counter: zones.counter,
      upstreams: new Map(upstreams.map((u) => [u.name, u])),
      nodeId, nodeName, workerId,
      run: (module, task) => offload.run(module, task),
      vars: { get: (name, request) => variables.value(name, request) },
    };
  }

  /**
   * Runs the handler at `path` (null: the built-in one) for one request, with `context` (the
   * configuration's the request is served by): at once when it is loaded and answers at once.
   */
  handle(request: HandlerRequest, path: string | null, context = this.context): HandlerResponse | Promise<HandlerResponse> {
    const handler = path === null ? this.builtInFor(context) : this.loaded.get(path);
    if (handler !== undefined) return handler(request, context);
    return this.load(path!).then((h) => h(request, context));
  }

  /** The built-in handler of `context`, made at its first request. */
  private builtInFor(context: HandlerContext): Handler {
    let handler = this.builtIns.get(context);
    if (handler === undefined) {
      handler = defaultHandlerFor(context);
      this.builtIns.set(context, handler);
    }
    return handler;
  }

  /** Ends the offload pool's threads once their tasks are done. */
  close(): Promise<void> {
    return this.offload.close();
  }

  private load(path: string): Promise<Handler> {
    let loading = this.loading.get(path);
    if (loading === undefined) {
      loading = import(pathToFileURL(path).href).then((m: { default?: unknown }) => {
        if (typeof m.default !== 'function') throw new Error(`handler module ${path} has no default export function`);
        const handler = m.default as Handler;
        this.loaded.set(path, handler);
        return handler;
      });
      this.loading.set(path, loading);
    }
    return loading;
  }
}
