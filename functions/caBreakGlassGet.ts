import { runBreakGlassGuard } from '../shared/conditional-access/breakGlass';
import { httpHandler } from '../shared/http/handler';
import { json } from '../shared/http/respond';
import { breakGlassDeps, caTickets } from '../shared/runtime/conditionalAccess';
import { httpFunction } from '../shared/runtime/definitions';

/** Checks now and answers with the run record; changes no policy (the fixes it would make are shown as `planned`). */
export const caBreakGlassGetHandler = httpHandler(async ({ services, caller }) => {
  const run = await runBreakGlassGuard(breakGlassDeps(services, caTickets(services)), {
    trigger: 'http',
    actor: caller.name,
    autoFix: services.config.conditionalAccess.breakGlassAutoFix,
    dryRun: true,
  });
  return json(run.status === 'blocked' ? 409 : 200, run);
});

export const caBreakGlassGet = httpFunction('caBreakGlassGet', {
  route: 'ca/break-glass',
  methods: ['GET'],
  authLevel: 'function',
  handler: caBreakGlassGetHandler,
});
