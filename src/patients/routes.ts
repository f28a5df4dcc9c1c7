import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { v7 as uuidv7 } from 'uuid';
import { executeCommand } from '../http/command.js';
import { latestDateOnEarth, type AppDeps } from '../http/deps.js';
import { CommandHeaders, CommandResult, problems } from '../http/schemas.js';
import { patientDecider } from './decider.js';
import type { Demographics } from './events.js';
import { PatientParams, RegisterPatientBody, StatusChangeBody, UpdatePatientBody } from './schemas.js';

const TAGS = ['patients'];

function withAddressDefaults<T extends { address?: { state?: string | null; postalCode?: string | null } | null }>(body: T) {
  if (!body.address) return body;
  return { ...body, address: { ...body.address, state: body.address.state ?? null, postalCode: body.address.postalCode ?? null } };
}

/** The patient record's commands. Reads are in queries.ts. */
export function patientCommandRoutes({ store, clock }: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/patients',
      {
        config: { access: { roles: ['practitioner', 'admin'] } },
        schema: {
          summary: 'Register a patient (RegisterPatient → PatientRegistered)',
          tags: TAGS,
          headers: CommandHeaders,
          body: RegisterPatientBody,
          response: { 200: CommandResult, 201: CommandResult, ...problems(400, 409, 422) },
        },
      },
      async (request, reply) => {
        const now = clock();
        const { mrn, ...fields } = withAddressDefaults(request.body);
        const demographics: Demographics = {
          phone: null,
          email: null,
          address: null,
          bloodGroup: null,
          genotype: null,
          nationality: null,
          emergencyContacts: [],
          ...(fields as Partial<Demographics>),
        } as Demographics;
        const patientId = uuidv7();
        return executeCommand(request, reply, {
          store,
          decider: patientDecider,
          streamId: patientId,
          command: { type: 'RegisterPatient', patientId, mrn, demographics, today: latestDateOnEarth(now) },
          status: 201,
          now,
        });
      },
    );

    app.patch(
      '/patients/:id',
      {
        config: { access: { roles: ['patient', 'practitioner', 'admin'], patientParam: 'id' } },
        schema: {
          summary: 'Correct demographics (UpdatePatientDemographics → PatientDemographicsUpdated)',
          description: 'Only the fields sent change; `null` clears an optional field. A change to nothing appends nothing.',
          tags: TAGS,
          headers: CommandHeaders,
          params: PatientParams,
          body: UpdatePatientBody,
          response: { 200: CommandResult, ...problems(400, 404, 409, 412) },
        },
      },
      async (request, reply) => {
        const now = clock();
        const body = withAddressDefaults(request.body);
        const changes = {
          ...body,
          ...(body.emergencyContacts === null ? { emergencyContacts: [] } : {}),
        } as Partial<Demographics>;
        return executeCommand(request, reply, {
          store,
          decider: patientDecider,
          streamId: request.params.id,
          command: { type: 'UpdatePatientDemographics', patientId: request.params.id, changes, today: latestDateOnEarth(now) },
          status: 200,
          now,
        });
      },
    );

    for (const [action, type] of [
      ['deactivate', 'DeactivatePatient'],
      ['reactivate', 'ReactivatePatient'],
    ] as const) {
      app.post(
        `/patients/:id/${action}`,
        {
          config: { access: { roles: ['practitioner', 'admin'] } },
          schema: {
            summary: `${action[0]!.toUpperCase()}${action.slice(1)} a patient record (${type} → Patient${action[0]!.toUpperCase()}${action.slice(1)}d)`,
            tags: TAGS,
            headers: CommandHeaders,
            params: PatientParams,
            body: StatusChangeBody,
            response: { 200: CommandResult, ...problems(400, 404, 409, 412, 422) },
          },
        },
        async (request, reply) =>
          executeCommand(request, reply, {
            store,
            decider: patientDecider,
            streamId: request.params.id,
            command: { type, patientId: request.params.id, reason: request.body.reason },
            status: 200,
            reason: request.body.reason,
            now: clock(),
          }),
      );
    }
  };
}
