/**
 * GraphiQL as a small page and separate, cacheable, compressed files. Yoga's own renderer inlines
 * about 9 MB of script, styles and workers into every page load; here the page (a few hundred
 * bytes plus its options) names each asset by a hash of its content, so a browser fetches each
 * once, compressed (about 1.5 MB in all), and keeps it.
 *
 * The asset URLs are relative to the page, so the gateway works mounted under any path prefix.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import { css, editorWorkerService, favicon, graphqlWorker, js, jsonWorker } from '@graphql-yoga/render-graphiql/graphiql';
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';

/** Served under `/graphiql-assets/<hash>/<name>`, beside the `/graphql` page. */
const ASSET_PREFIX = '/graphiql-assets/';

type Bytes = Uint8Array<ArrayBuffer>;

interface Asset {
  name: string;
  type: string;
  body: Bytes;
  /** Compressed on first request, then kept: the same bytes serve every request. */
  encoded: Map<'br' | 'gzip', Promise<Bytes>>;
}

function asset(name: string, type: string, body: Buffer): Asset {
  return { name, type, body: new Uint8Array(body), encoded: new Map() };
}

const FAVICON = /^data:([^;]+);base64,(.*)$/s.exec(favicon);

const ASSETS = [
  asset('graphiql.js', 'text/javascript; charset=utf-8', Buffer.from(js)),
  asset('graphiql.css', 'text/css; charset=utf-8', Buffer.from(css)),
  asset('editor.worker.js', 'text/javascript; charset=utf-8', Buffer.from(editorWorkerService)),
  asset('json.worker.js', 'text/javascript; charset=utf-8', Buffer.from(jsonWorker)),
  asset('graphql.worker.js', 'text/javascript; charset=utf-8', Buffer.from(graphqlWorker)),
  asset('favicon.ico', FAVICON?.[1] ?? 'image/x-icon', Buffer.from(FAVICON?.[2] ?? '', 'base64')),
];

/** One hash over every asset: a new version of the renderer gives every URL a new path. */
const VERSION = ASSETS.reduce((hash, { body }) => hash.update(body), createHash('sha256'))
  .digest('hex')
  .slice(0, 16);
const BY_PATH = new Map(ASSETS.map((entry) => [`${ASSET_PREFIX}${VERSION}/${entry.name}`, entry]));
const url = (name: string) => `.${ASSET_PREFIX}${VERSION}/${name}`;

// Off the event loop (zlib's thread pool): the first request for an asset waits, no other does.
const compress = {
  br: async (body: Bytes): Promise<Bytes> =>
    new Uint8Array(
      await promisify(brotliCompress)(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 5, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } }),
    ),
  gzip: async (body: Bytes): Promise<Bytes> => new Uint8Array(await promisify(gzip)(body, { level: 6 })),
};

/** `<` escaped, so that no option's text (a default query, say) can close the script element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value ?? {}).replace(/</g, '\\u003c');
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

/** The page: Yoga's renderer's markup, with its assets named instead of inlined. */
export function renderGraphiQLPage(options?: GraphiQLOptions): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options?.title ?? 'GraphiQL')}</title>
    <link rel="icon" href="${url('favicon.ico')}" />
    <link rel="stylesheet" href="${url('graphiql.css')}" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
    <script>
      const workers = {
        editorWorkerService: new URL(${scriptJson(url('editor.worker.js'))}, document.baseURI).href,
        json: new URL(${scriptJson(url('json.worker.js'))}, document.baseURI).href,
        graphql: new URL(${scriptJson(url('graphql.worker.js'))}, document.baseURI).href,
      };
      self['MonacoEnvironment'] = { globalAPI: false, getWorkerUrl: (moduleId, label) => workers[label] };
    </script>
    <script src="${url('graphiql.js')}"></script>
    <script>
      YogaGraphiQL.renderYogaGraphiQL(window.document.querySelector('#root'), ${scriptJson(options)});
    </script>
  </body>
</html>
`;
}

/** The encoding to send: brotli, then gzip, when the request accepts it (a q of 0 refuses). */
function chooseEncoding(acceptEncoding: string | null): 'br' | 'gzip' | undefined {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').toLowerCase().split(',')) {
    const [coding = '', ...params] = part.trim().split(';');
    const q = params.map((param) => /^\s*q=([\d.]+)\s*$/.exec(param)?.[1]).find((value) => value !== undefined);
    accepted.set(coding.trim(), q === undefined ? 1 : Number(q));
  }
  const wildcard = accepted.get('*');
  const allows = (coding: string) => (accepted.get(coding) ?? wildcard ?? 0) > 0;
  return allows('br') ? 'br' : allows('gzip') ? 'gzip' : undefined;
}

/** Answers GET/HEAD `/graphiql-assets/<version>/<name>`; everything else passes through. */
export function useGraphiQLAssets(): Plugin {
  return {
    onRequest({ request, url: requestUrl, endResponse, fetchAPI }) {
      // The string test first: reading `url` parses the request's URL, on every request.
      if (!request.url.includes(ASSET_PREFIX) || (request.method !== 'GET' && request.method !== 'HEAD')) return undefined;
      const found = [...BY_PATH].find(([path]) => requestUrl.pathname.endsWith(path))?.[1];
      if (!found) {
        endResponse(
          new fetchAPI.Response('Not found\n', { status: 404, headers: { 'content-type': 'text/plain', 'cache-control': 'no-store' } }),
        );
        return undefined;
      }
      const etag = `"${VERSION}-${found.name}"`;
      const headers: Record<string, string> = {
        'content-type': found.type,
        'cache-control': 'public, max-age=31536000, immutable',
        etag,
        vary: 'accept-encoding',
      };
      if (request.headers.get('if-none-match') === etag) {
        endResponse(new fetchAPI.Response(null, { status: 304, headers }));
        return undefined;
      }
      const encoding = found.type.startsWith('image/') ? undefined : chooseEncoding(request.headers.get('accept-encoding'));
      if (!encoding) {
        endResponse(
          new fetchAPI.Response(request.method === 'HEAD' ? null : found.body, {
            headers: { ...headers, 'content-length': String(found.body.length) },
          }),
        );
        return undefined;
      }
      let encoded = found.encoded.get(encoding);
      if (!encoded) {
        encoded = compress[encoding](found.body);
        found.encoded.set(encoding, encoded);
      }
      return encoded.then((body) =>
        endResponse(
          new fetchAPI.Response(request.method === 'HEAD' ? null : body, {
            headers: { ...headers, 'content-encoding': encoding, 'content-length': String(body.length) },
          }),
        ),
      );
    },
  };
}
