/**
 * Serves examples/frontend over node:http: index.html (with the service URL written into its
 * `<meta name="connector-api-url">`), the static files, and `src/*.ts` compiled for the browser on request with
 * TypeScript's transpileModule (no bundler: the modules import each other as `./name.js`).
 *
 * Every answer carries the Content-Security-Policy the page is written for: `default-src 'self'` (no inline
 * script or style) and `connect-src` limited to the service.
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import ts from 'typescript';

export interface FrontendServerOptions {
  /** The examples/frontend directory. */
  readonly root: string;
  /** Origin of the connector service, e.g. `http://127.0.0.1:3001`. */
  readonly serviceUrl: string;
  readonly port: number;
  readonly host: string;
}

export interface FrontendServer {
  /** `http://<host>:<port>`: the one origin the service allows and returns the browser to. */
  readonly origin: string;
  close(): Promise<void>;
}

const STATIC_FILES: Readonly<Record<string, string>> = {
  '/styles.css': 'text/css; charset=utf-8',
  '/favicon.svg': 'image/svg+xml',
};

const META_RE = /(<meta name="connector-api-url" content=")[^"]*(")/;

export function contentSecurityPolicy(serviceUrl: string): string {
  return `default-src 'self'; connect-src ${new URL(serviceUrl).origin}`;
}

export async function startFrontendServer(options: FrontendServerOptions): Promise<FrontendServer> {
  const compiled = new Map<string, { mtimeMs: number; code: string }>();
  let origin = '';

  async function compile(file: string): Promise<string> {
    const { mtimeMs } = await stat(file);
    const cached = compiled.get(file);
    if (cached?.mtimeMs === mtimeMs) return cached.code;
    const output = ts.transpileModule(await readFile(file, 'utf8'), {
      fileName: file,
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        inlineSourceMap: true,
        inlineSources: true,
      },
    });
    compiled.set(file, { mtimeMs, code: output.outputText });
    return output.outputText;
  }

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const headers: Record<string, string> = {
      'Content-Security-Policy': contentSecurityPolicy(options.serviceUrl),
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-cache',
    };
    const send = (status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void => {
      res.writeHead(status, { ...headers, 'Content-Type': type, ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    // sessionStorage is per origin: a page opened as localhost would lose its session on the OAuth return
    // to 127.0.0.1 (or the other way round), and the service allows one origin only. Use the canonical one.
    const wantedHost = new URL(origin).host;
    if (req.headers.host !== wantedHost) {
      return send(307, 'text/plain; charset=utf-8', `Use ${origin}\n`, { Location: `${origin}${req.url ?? '/'}` });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(405, 'text/plain; charset=utf-8', 'Method not allowed\n', { Allow: 'GET, HEAD' });
    }
    const pathname = new URL(req.url ?? '/', origin).pathname;
    if (pathname === '/' || pathname === '/index.html') {
      const html = await readFile(path.join(options.root, 'index.html'), 'utf8');
      const url = options.serviceUrl.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
      return send(200, 'text/html; charset=utf-8', html.replace(META_RE, `$1${url}$2`));
    }
    const staticType = STATIC_FILES[pathname];
    if (staticType !== undefined) return send(200, staticType, await readFile(path.join(options.root, pathname.slice(1))));
    const module = /^\/src\/([a-z][a-z0-9-]*)\.js$/.exec(pathname);
    if (module) {
      const file = path.join(options.root, 'src', `${module[1] ?? ''}.ts`);
      const code = await compile(file).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      });
      if (code !== undefined) return send(200, 'text/javascript; charset=utf-8', code);
    }
    send(404, 'text/plain; charset=utf-8', 'Not found\n');
  }

  const server: Server = createServer((req, res) => {
    answer(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`Frontend server error: ${String(error)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo; // listening on TCP, so address() is an AddressInfo
  origin = `http://${options.host}:${port}`;
  return {
    origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
