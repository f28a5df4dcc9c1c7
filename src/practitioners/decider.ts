import { rejectConflict, rejectInvalid, rejectNotFound, type Decider, type Rejection } from '../event-store/decider.js';
import type { PractitionerCommand } from './commands.js';
import { PRACTITIONER_EVENT_VERSIONS, PRACTITIONER_STREAM, type PractitionerEvent } from './events.js';

export type PractitionerState =
  | { status: 'none' }
  | { status: 'pending' | 'verified'; practitionerId: string; accountId: string; verifiedBy: string | null };

export const initialState = (): PractitionerState => ({ status: 'none' });

export function evolve(state: PractitionerState, event: PractitionerEvent): PractitionerState {
  switch (event.type) {
    case 'PractitionerRegistered':
      return { status: 'pending', practitionerId: event.data.practitionerId, accountId: event.data.accountId, verifiedBy: null };
    case 'PractitionerVerified':
      return state.status === 'none' ? state : { ...state, status: 'verified', verifiedBy: event.data.verifiedBy };
  }
}

const trimmed = (value: string) => value.trim().replace(/\s+/g, ' ');

export function decide(command: PractitionerCommand, state: PractitionerState): PractitionerEvent[] | Rejection {
  switch (command.type) {
    case 'RegisterPractitioner': {
      if (state.status !== 'none') return rejectConflict(`Practitioner ${command.practitionerId} already exists.`);
      const firstName = trimmed(command.firstName);
      const lastName = trimmed(command.lastName);
      if (firstName === '') return rejectInvalid('firstName', 'must not be blank');
      if (lastName === '') return rejectInvalid('lastName', 'must not be blank');
      const { practitionerId, accountId } = command;
      return [{ type: 'PractitionerRegistered', data: { practitionerId, accountId, firstName, lastName } }];
    }
    case 'VerifyPractitioner':
      if (state.status === 'none') return rejectNotFound(`No practitioner with id ${command.practitionerId}.`);
      if (state.status === 'verified') return [];
      return [{ type: 'PractitionerVerified', data: { practitionerId: command.practitionerId, verifiedBy: command.verifiedBy } }];
    default: {
      const unhandled: never = command;
      throw new Error(`Unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

export const practitionerDecider: Decider<PractitionerCommand, PractitionerEvent, PractitionerState> = {
  streamType: PRACTITIONER_STREAM,
  schemaVersions: PRACTITIONER_EVENT_VERSIONS,
  initialState,
  evolve,
  decide,
};
