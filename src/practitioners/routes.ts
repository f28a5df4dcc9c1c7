import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { executeCommand } from '../http/command.js';
import type { AppDeps } from '../http/deps.js';
import { CommandHeaders, CommandResult, problems, Uuid } from '../http/schemas.js';
import { practitionerDecider } from './decider.js';

/** The practitioner profile's commands. A profile is created with its account (src/accounts/registration.ts). */
export function practitionerRoutes({ store, clock }: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/practitioners/:id/verify',
      {
        config: { access: { roles: ['admin'] } },
        schema: {
          operationId: 'verifyPractitioner',
          summary: 'Verify a pending practitioner (VerifyPractitioner → PractitionerVerified); only then can they join care teams',
          tags: ['practitioners'],
          headers: CommandHeaders,
          params: Type.Object({ id: Uuid }),
          response: { 200: CommandResult, ...problems(400, 404, 412, 422) },
        },
      },
      async (request, reply) =>
        executeCommand(request, reply, {
          store,
          decider: practitionerDecider,
          streamId: request.params.id,
          command: { type: 'VerifyPractitioner', practitionerId: request.params.id, verifiedBy: request.actor.id! },
          status: 200,
          now: clock(),
        }),
    );
  };
}
