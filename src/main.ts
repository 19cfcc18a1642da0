// The entry point (`node dist/main.js`). It turns on Node's compile cache before anything else is loaded, then
// starts the service (server.ts): every later start of the same build takes V8's compiled code of the service
// and its dependencies from the cache instead of compiling them again. Node places the cache in
// NODE_COMPILE_CACHE or else os.tmpdir()/node-compile-cache, and NODE_DISABLE_COMPILE_CACHE=1 turns it off; a
// cache that cannot be written is skipped without error (docs/operations.md).
import module from 'node:module';

// Node >= 22.1 has it; older Node (and @types/node 20) do not, and the service then starts without the cache.
const compileCache = module as { enableCompileCache?: () => unknown; flushCompileCache?: () => void };
compileCache.enableCompileCache?.();

const { startServer } = await import('./server.js');
await startServer();
// Written once everything is loaded (a second or so after listening, so not while the first requests are
// answered), not only at exit: a process that is killed rather than stopped would leave nothing for the next start.
compileCache.flushCompileCache?.();
