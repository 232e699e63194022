/** One route an express router serves, e.g. `GET /applications/:name`. */
export interface ServedRoute {
  method: string;
  path: string;
}

/**
 * Lists the routes of an express router, descending into routers mounted with `use`. Fails
 * loudly on anything it cannot read (a RegExp path, say) rather than leaving it out.
 */
export function collectRoutes(handler: any, prefix = ''): ServedRoute[] {
  const routes: ServedRoute[] = [];
  for (const layer of handler?.stack ?? []) {
    if (layer.route) {
      const path = layer.route.path;
      if (typeof path !== 'string') {
        throw new Error(
          `Cannot read route path ${String(path)} under "${prefix}"`,
        );
      }
      for (const method of Object.keys(layer.route.methods)) {
        if (method === '_all') {
          throw new Error(
            `Route ${prefix}${path} answers every method; list them explicitly`,
          );
        }
        routes.push({ method: method.toUpperCase(), path: `${prefix}${path}` });
      }
    } else if (layer.handle?.stack) {
      routes.push(...collectRoutes(layer.handle, prefix + mountPath(layer)));
    }
  }
  return routes;
}

/** The path an express 4 layer was mounted at, read back from its RegExp. */
function mountPath(layer: any): string {
  if (layer.regexp?.fast_slash) return '';
  let source: string = layer.regexp.source;
  source = source.replace(/^\^/, '').replace(/\\\/\?\(\?=\\\/\|\$\)$/, '');
  for (const key of layer.keys ?? []) {
    source = source
      .replace('(?:\\/([^\\/]+?))', `/:${key.name}`)
      .replace('(?:\\/([^/]+?))', `/:${key.name}`);
  }
  source = source.replace(/\\\//g, '/');
  if (/[\\^$()[\]?*+{}|]/.test(source)) {
    throw new Error(`Cannot read the mount path of ${layer.regexp}`);
  }
  return source;
}
