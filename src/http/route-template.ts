import type { RequestWithContext } from './request-context.js';

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
  match(path: string): unknown;
}

/** The route label of a path that belongs to no route (bounded cardinality). */
export const UNMATCHED = 'unmatched';

/**
 * The route template a request belongs to. Express knows it (`request.route`) only when a route
 * handler ran; a request refused before that — a body the JSON parser rejected (400/413/415) — is
 * looked up in the router's own table, so it is still counted under its route. Routes with a
 * wildcard (middleware mounts) never name one; unknown paths stay "unmatched" (bounded cardinality).
 */
export function routeTemplate(request: RequestWithContext): string {
  const matched = (request.route as { path?: string } | undefined)?.path;
  if (matched && !matched.includes('*')) return `${request.baseUrl}${matched}`;
  if (!request.app) return UNMATCHED; // answered before Express saw it
  const stack = (request.app as unknown as { router?: { stack?: RouteLayer[] } }).router?.stack ?? [];
  const method = request.method.toLowerCase();
  const layer = stack.find((candidate) => {
    const route = candidate.route;
    if (!route || route.path.includes('*') || !(route.methods[method] || route.methods._all)) return false;
    try {
      return candidate.match(request.path);
    } catch {
      return false; // a path Express cannot decode (e.g. "%ff") belongs to no route
    }
  });
  return layer?.route?.path ?? UNMATCHED;
}
