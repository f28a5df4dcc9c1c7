import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { newId } from '../ids.js';
import { forbidden } from '../auth/access.js';
import type { StreamVersion } from '../event-store/types.js';
import { executeCommand } from '../http/command.js';
import { latestDateOnEarth, type AppDeps } from '../http/deps.js';
import { CommandHeaders, CommandResult, problems } from '../http/schemas.js';
import { patientDecider } from './decider.js';
import type { Demographics } from './events.js';
import { createStandingReader } from './practitioner-standing.js';
import { PATIENT_EDITABLE_FIELDS } from './reach.js';
import {
  AssignPractitionerBody,
  CareTeamParams,
  PatientParams,
  RegisterPatientBody,
  StatusChangeBody,
  UpdatePatientBody,
} from './schemas.js';

const TAGS = ['patients'];

function withAddressDefaults<T extends { address?: { state?: string | null; postalCode?: string | null } | null }>(body: T) {
  if (!body.address) return body;
  return { ...body, address: { ...body.address, state: body.address.state ?? null, postalCode: body.address.postalCode ?? null } };
}

/** The patient record's commands. Reads are in queries.ts; who reaches which record, in reach.ts. */
export function patientCommandRoutes({ store, clock }: AppDeps): FastifyPluginAsyncTypebox {
  const standings = createStandingReader(store);
  const unverified = () =>
    forbidden('Your practitioner profile is not verified yet; an admin must verify it before you work with patient records.');

  return async (app) => {
    app.post(
      '/patients',
      {
        config: { access: { roles: ['practitioner', 'admin'] } },
        schema: {
          operationId: 'registerPatient',
          summary: 'Register a patient (RegisterPatient → PatientRegistered)',
          description:
            'A practitioner who registers a patient joins its care team (PractitionerAssignedToPatient, same append); ' +
            'a practitioner pending verification is refused.',
          tags: TAGS,
          headers: CommandHeaders,
          body: RegisterPatientBody,
          response: { 200: CommandResult, 201: CommandResult, ...problems(400, 403, 409, 422) },
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
        const patientId = newId();
        const register = (registeringPractitionerId?: string, reliesOn?: StreamVersion[]) =>
          executeCommand(request, reply, {
            store,
            decider: patientDecider,
            streamId: patientId,
            command: {
              type: 'RegisterPatient',
              patientId,
              mrn,
              demographics,
              today: latestDateOnEarth(now),
              ...(registeringPractitionerId ? { registeringPractitionerId } : {}),
            },
            status: 201,
            now,
            reliesOn,
          });
        // A practitioner registering a patient must be verified (a pending one touches no patient
        // data), and joins the new patient's care team; an admin registers without joining.
        const { role, practitionerId } = request.actor;
        if (role !== 'practitioner') return register();
        if (!practitionerId) throw unverified();
        return standings.withStanding(practitionerId, ({ standing }, reliesOn) => {
          if (standing !== 'verified') throw unverified();
          return register(practitionerId, reliesOn);
        });
      },
    );

    app.patch(
      '/patients/:id',
      {
        config: {
          access: { roles: ['patient', 'practitioner', 'admin'], patientParam: 'id', patientMayChange: PATIENT_EDITABLE_FIELDS },
        },
        schema: {
          operationId: 'updatePatientDemographics',
          summary: 'Correct demographics (UpdatePatientDemographics → PatientDemographicsUpdated)',
          description:
            'Only the fields sent change; `null` clears an optional field. A change to nothing appends nothing. ' +
            `A patient may change only their own contact details (${PATIENT_EDITABLE_FIELDS.join(', ')}).`,
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
          config: { access: { roles: ['practitioner', 'admin'], patientParam: 'id' } },
          schema: {
            operationId: `${action}Patient`,
            summary: `${action[0]!.toUpperCase()}${action.slice(1)} a patient record (${type} → Patient${action[0]!.toUpperCase()}${action.slice(1)}d)`,
            tags: TAGS,
            headers: CommandHeaders,
            params: PatientParams,
            body: StatusChangeBody,
            response: { 200: CommandResult, ...problems(400, 404, 409, 412, 422) },
          },
        },
        async (request, reply) => {
          // The metadata's reason is what the history shows the auditor: the same text the event
          // records (the decider trims it likewise), not the raw input.
          const reason = request.body.reason.trim().replace(/\s+/g, ' ');
          return executeCommand(request, reply, {
            store,
            decider: patientDecider,
            streamId: request.params.id,
            command: { type, patientId: request.params.id, reason },
            status: 200,
            reason,
            now: clock(),
          });
        },
      );
    }

    app.post(
      '/patients/:id/care-team',
      {
        config: { access: { roles: ['practitioner', 'admin'], patientParam: 'id' } },
        schema: {
          operationId: 'assignPractitioner',
          summary: 'Assign a practitioner to the care team (AssignPractitioner → PractitionerAssignedToPatient)',
          description:
            'Admins and practitioners already on the team may assign; only a verified practitioner can join. ' +
            'Assigning someone already on the team appends nothing.',
          tags: TAGS,
          headers: CommandHeaders,
          params: PatientParams,
          body: AssignPractitionerBody,
          response: { 200: CommandResult, ...problems(400, 404, 409, 412, 422) },
        },
      },
      async (request, reply) => {
        // Ids are compared as text in the patient's state: one spelling of each, lower case.
        const practitionerId = request.body.practitionerId.toLowerCase();
        // Read before deciding, from the practitioner's own stream: decide stays pure.
        return standings.withStanding(practitionerId, ({ standing }, reliesOn) =>
          executeCommand(request, reply, {
            store,
            decider: patientDecider,
            streamId: request.params.id,
            command: { type: 'AssignPractitioner', patientId: request.params.id, practitionerId, practitionerStanding: standing },
            status: 200,
            now: clock(),
            reliesOn,
          }),
        );
      },
    );

    app.delete(
      '/patients/:id/care-team/:practitionerId',
      {
        config: { access: { roles: ['practitioner', 'admin'], patientParam: 'id' } },
        schema: {
          operationId: 'unassignPractitioner',
          summary: 'Remove a practitioner from the care team (UnassignPractitioner → PractitionerUnassignedFromPatient)',
          description: 'Admins and practitioners on the team may remove anyone from it, themselves included. Removing someone not on the team appends nothing.',
          tags: TAGS,
          headers: CommandHeaders,
          params: CareTeamParams,
          response: { 200: CommandResult, ...problems(400, 404, 412) },
        },
      },
      async (request, reply) =>
        executeCommand(request, reply, {
          store,
          decider: patientDecider,
          streamId: request.params.id,
          command: {
            type: 'UnassignPractitioner',
            patientId: request.params.id,
            practitionerId: request.params.practitionerId.toLowerCase(),
          },
          status: 200,
          now: clock(),
        }),
    );
  };
}
