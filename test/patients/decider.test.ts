import t from 'tap';
import type { PatientCommand, RegisterPatient, UpdatePatientDemographics } from '../../src/patients/commands.js';
import { patientDecider } from '../../src/patients/decider.js';
import type { Demographics, PatientEvent, PatientRegistered } from '../../src/patients/events.js';
import { adaDemographics, PATIENT_ID } from '../helpers/patients.js';
import { specFor } from '../helpers/spec.js';

const spec = specFor(patientDecider);

const patientId = PATIENT_ID;
const demographics = adaDemographics;
const today = '2026-03-15';

const register = (overrides: Partial<Demographics> = {}, mrn = 'MRN-001'): RegisterPatient => ({
  type: 'RegisterPatient',
  patientId,
  mrn,
  demographics: demographics(overrides),
  today,
});

const update = (changes: Partial<Demographics>, on = today): UpdatePatientDemographics => ({
  type: 'UpdatePatientDemographics',
  patientId,
  changes,
  today: on,
});

const deactivate = (reason = 'Duplicate record'): PatientCommand => ({ type: 'DeactivatePatient', patientId, reason });
const reactivate = (reason = 'Registered in error'): PatientCommand => ({ type: 'ReactivatePatient', patientId, reason });

const registered = (overrides: Partial<Demographics> = {}): PatientRegistered => ({
  type: 'PatientRegistered',
  data: { patientId, mrn: 'MRN-001', ...demographics(overrides) },
});
const deactivated: PatientEvent = { type: 'PatientDeactivated', data: { patientId, reason: 'Duplicate record' } };
const reactivated: PatientEvent = { type: 'PatientReactivated', data: { patientId, reason: 'Registered in error' } };
const updated = (changes: Partial<Demographics>): PatientEvent => ({
  type: 'PatientDemographicsUpdated',
  data: { patientId, changes },
});

t.test('RegisterPatient', async (t) => {
  t.test('registers a new patient with every demographic field as a complete fact', async (t) => {
    spec(t).given().when(register()).then([registered()]);
  });

  t.test('a patient already registered cannot be registered again', async (t) => {
    spec(t).given(registered()).when(register()).thenRejected({ kind: 'conflict' });
  });

  t.test('an inactive patient cannot be registered again either', async (t) => {
    spec(t).given(registered(), deactivated).when(register()).thenRejected({ kind: 'conflict' });
  });

  t.test('names are trimmed and inner runs of whitespace collapse to one space', async (t) => {
    spec(t)
      .given()
      .when(register({ firstName: '  Mary \t Ann ', lastName: ' de   la Cruz  ' }))
      .then([registered({ firstName: 'Mary Ann', lastName: 'de la Cruz' })]);
  });

  t.test('free-text fields are trimmed and the country code is upper-cased', async (t) => {
    spec(t)
      .given()
      .when(
        register({
          nationality: '  Nigerian ',
          email: ' ada@example.org ',
          address: { line: ' 1  Marina Road ', city: ' Lagos ', state: ' Lagos  State ', postalCode: ' 101001 ', country: 'ng' },
          emergencyContacts: [{ name: ' Byron  Lovelace ', relationship: ' brother ', phone: '+2348098765432' }],
        }),
      )
      .then([
        registered({
          nationality: 'Nigerian',
          email: 'ada@example.org',
          address: { line: '1 Marina Road', city: 'Lagos', state: 'Lagos State', postalCode: '101001', country: 'NG' },
          emergencyContacts: [{ name: 'Byron Lovelace', relationship: 'brother', phone: '+2348098765432' }],
        }),
      ]);
  });

  t.test('the MRN is trimmed but keeps the case it was typed in', async (t) => {
    spec(t)
      .given()
      .when(register({}, '  mrn-001 '))
      .then([{ type: 'PatientRegistered', data: { patientId, mrn: 'mrn-001', ...demographics() } }]);
  });

  t.test('unknown optional facts are recorded as null, not left out', async (t) => {
    const bare = demographics({
      phone: null,
      email: null,
      address: null,
      bloodGroup: null,
      genotype: null,
      nationality: null,
      emergencyContacts: [],
    });
    spec(t)
      .given()
      .when({ ...register(), demographics: bare })
      .then([{ type: 'PatientRegistered', data: { patientId, mrn: 'MRN-001', ...bare } }]);
  });

  for (const field of ['firstName', 'lastName'] as const) {
    t.test(`a ${field} that is blank after trimming is refused`, async (t) => {
      spec(t).given().when(register({ [field]: ' \t  ' })).thenRejected({ kind: 'invalid', field });
    });
  }

  t.test('a blank address line or city is refused, naming the field', async (t) => {
    const address = demographics().address!;
    spec(t).given().when(register({ address: { ...address, line: '   ' } })).thenRejected({ kind: 'invalid', field: 'address.line' });
    spec(t).given().when(register({ address: { ...address, city: ' ' } })).thenRejected({ kind: 'invalid', field: 'address.city' });
  });

  t.test('an emergency contact with a blank name or relationship is refused, naming which one', async (t) => {
    const good = { name: 'Byron', relationship: 'brother', phone: '+2348098765432' };
    spec(t)
      .given()
      .when(register({ emergencyContacts: [good, { ...good, relationship: '  ' }] }))
      .thenRejected({ kind: 'invalid', field: 'emergencyContacts.1' });
  });

  t.test('a date of birth before 1900 is refused', async (t) => {
    spec(t).given().when(register({ dateOfBirth: '1899-12-31' })).thenRejected({ kind: 'invalid', field: 'dateOfBirth' });
  });

  t.test('a date of birth on 1900-01-01 is accepted', async (t) => {
    spec(t).given().when(register({ dateOfBirth: '1900-01-01' })).then([registered({ dateOfBirth: '1900-01-01' })]);
  });

  t.test("a date of birth after the command's today is refused", async (t) => {
    spec(t).given().when(register({ dateOfBirth: '2026-03-16' })).thenRejected({ kind: 'invalid', field: 'dateOfBirth' });
  });

  t.test("a baby born on the command's today may be registered", async (t) => {
    spec(t).given().when(register({ dateOfBirth: today })).then([registered({ dateOfBirth: today })]);
  });

  t.test('the rules take today from the command, not from the clock', async (t) => {
    spec(t)
      .given()
      .when({ ...register({ dateOfBirth: '2001-01-01' }), today: '2000-12-31' })
      .thenRejected({ kind: 'invalid', field: 'dateOfBirth' });
  });
});

t.test('UpdatePatientDemographics', async (t) => {
  t.test('records only the fields that actually change', async (t) => {
    spec(t)
      .given(registered())
      .when(update({ firstName: 'Ada', lastName: 'King', phone: '+2348012345678', genotype: 'AS' }))
      .then([updated({ lastName: 'King', genotype: 'AS' })]);
  });

  t.test('null clears an optional field', async (t) => {
    spec(t)
      .given(registered())
      .when(update({ phone: null, address: null, emergencyContacts: [] }))
      .then([updated({ phone: null, address: null, emergencyContacts: [] })]);
  });

  t.test('a change that changes nothing records nothing', async (t) => {
    spec(t)
      .given(registered())
      .when(update({ firstName: 'Ada', phone: '+2348012345678', address: demographics().address }))
      .thenNothing();
  });

  t.test('an empty change records nothing', async (t) => {
    spec(t).given(registered()).when(update({})).thenNothing();
  });

  t.test('a value that differs only in surrounding whitespace is no change', async (t) => {
    spec(t).given(registered()).when(update({ firstName: '  Ada ', lastName: 'Lovelace  ' })).thenNothing();
  });

  t.test('clearing a field that is already empty records nothing', async (t) => {
    spec(t).given(registered({ phone: null })).when(update({ phone: null })).thenNothing();
  });

  t.test('compares against the record as changed by earlier updates', async (t) => {
    spec(t)
      .given(registered(), updated({ lastName: 'King' }))
      .when(update({ lastName: 'King', firstName: 'Augusta' }))
      .then([updated({ firstName: 'Augusta' })]);
    spec(t).given(registered(), updated({ lastName: 'King' })).when(update({ lastName: 'Lovelace' })).then([updated({ lastName: 'Lovelace' })]);
  });

  t.test('changed values are normalised as on registration', async (t) => {
    spec(t)
      .given(registered())
      .when(update({ firstName: '  Augusta   Ada ', address: { line: ' 2 Broad St ', city: 'Lagos', state: null, postalCode: null, country: 'ng' } }))
      .then([
        updated({
          firstName: 'Augusta Ada',
          address: { line: '2 Broad St', city: 'Lagos', state: null, postalCode: null, country: 'NG' },
        }),
      ]);
  });

  t.test('a patient who was never registered cannot be updated', async (t) => {
    spec(t).given().when(update({ lastName: 'King' })).thenRejected({ kind: 'not-found' });
  });

  t.test('an inactive record cannot be updated', async (t) => {
    spec(t).given(registered(), deactivated).when(update({ lastName: 'King' })).thenRejected({ kind: 'conflict' });
  });

  t.test('a reactivated record can be updated again', async (t) => {
    spec(t).given(registered(), deactivated, reactivated).when(update({ lastName: 'King' })).then([updated({ lastName: 'King' })]);
  });

  for (const field of ['firstName', 'lastName', 'dateOfBirth', 'sex'] as const) {
    t.test(`the required ${field} cannot be cleared with null`, async (t) => {
      spec(t)
        .given(registered())
        .when(update({ [field]: null } as unknown as Partial<Demographics>))
        .thenRejected({ kind: 'invalid', field });
    });
  }

  t.test('a name that is blank after trimming is refused', async (t) => {
    spec(t).given(registered()).when(update({ lastName: '   ' })).thenRejected({ kind: 'invalid', field: 'lastName' });
  });

  t.test('a date of birth before 1900 is refused', async (t) => {
    spec(t).given(registered()).when(update({ dateOfBirth: '1850-06-01' })).thenRejected({ kind: 'invalid', field: 'dateOfBirth' });
  });

  t.test("a date of birth after the command's today is refused", async (t) => {
    spec(t).given(registered()).when(update({ dateOfBirth: '2030-01-01' })).thenRejected({ kind: 'invalid', field: 'dateOfBirth' });
    spec(t)
      .given(registered())
      .when(update({ dateOfBirth: '2026-03-16' }, '2026-03-16'))
      .then([updated({ dateOfBirth: '2026-03-16' })]);
  });

  t.test('one invalid field refuses the whole change', async (t) => {
    spec(t)
      .given(registered())
      .when(update({ lastName: 'King', firstName: ' ' }))
      .thenRejected({ kind: 'invalid', field: 'firstName' });
  });
});

t.test('DeactivatePatient', async (t) => {
  t.test('deactivates an active record, recording the trimmed reason', async (t) => {
    spec(t)
      .given(registered())
      .when(deactivate('  Duplicate   record '))
      .then([{ type: 'PatientDeactivated', data: { patientId, reason: 'Duplicate record' } }]);
  });

  t.test('an inactive record cannot be deactivated again', async (t) => {
    spec(t).given(registered(), deactivated).when(deactivate()).thenRejected({ kind: 'conflict' });
  });

  t.test('a patient who was never registered cannot be deactivated', async (t) => {
    spec(t).given().when(deactivate()).thenRejected({ kind: 'not-found' });
  });

  t.test('a blank reason is refused', async (t) => {
    spec(t).given(registered()).when(deactivate('   ')).thenRejected({ kind: 'invalid', field: 'reason' });
  });
});

t.test('ReactivatePatient', async (t) => {
  t.test('reactivates an inactive record, recording the reason', async (t) => {
    spec(t).given(registered(), deactivated).when(reactivate()).then([reactivated]);
  });

  t.test('an active record cannot be reactivated', async (t) => {
    spec(t).given(registered()).when(reactivate()).thenRejected({ kind: 'conflict' });
    spec(t).given(registered(), deactivated, reactivated).when(reactivate()).thenRejected({ kind: 'conflict' });
  });

  t.test('a patient who was never registered cannot be reactivated', async (t) => {
    spec(t).given().when(reactivate()).thenRejected({ kind: 'not-found' });
  });

  t.test('a blank reason is refused', async (t) => {
    spec(t).given(registered(), deactivated).when(reactivate(' \n ')).thenRejected({ kind: 'invalid', field: 'reason' });
  });
});

t.test('the MRN is unique across patients', async (t) => {
  const state = patientDecider.initialState();

  t.test('registering claims the MRN, upper-cased so that mrn-001 and MRN-001 collide', async (t) => {
    t.same(patientDecider.uniqueClaims!([registered()], state), { claims: [{ scope: 'mrn', value: 'MRN-001' }], releases: [] });
    const lower: PatientRegistered = { type: 'PatientRegistered', data: { ...registered().data, mrn: 'mrn-001' } };
    t.same(patientDecider.uniqueClaims!([lower], state).claims, [{ scope: 'mrn', value: 'MRN-001' }]);
  });

  t.test('other events claim and release nothing', async (t) => {
    const registeredState = [registered()].reduce(patientDecider.evolve, state);
    t.same(patientDecider.uniqueClaims!([updated({ lastName: 'King' }), deactivated, reactivated], registeredState), {
      claims: [],
      releases: [],
    });
  });
});

t.test('a saved snapshot decides as the history it was folded from', async (t) => {
  const practitioner = '0192f0c4-7a6b-7d3e-9c1a-000000000001';
  const colleague = '0192f0c4-7a6b-7d3e-9c1a-000000000002';
  const histories: Record<string, PatientEvent[]> = {
    'registered with what is unknown left null': [registered({ phone: null, email: null, address: null, emergencyContacts: [] })],
    'corrected, with a care team, deactivated': [
      registered(),
      updated({ address: { line: '1 Mill Lane', city: 'Leeds', state: null, postalCode: 'LS1 1AA', country: 'GB' }, phone: null }),
      { type: 'PractitionerAssignedToPatient', data: { patientId, practitionerId: practitioner } },
      { type: 'PractitionerAssignedToPatient', data: { patientId, practitionerId: colleague } },
      { type: 'PractitionerUnassignedFromPatient', data: { patientId, practitionerId: practitioner } },
      deactivated,
    ],
    'reactivated': [registered(), deactivated, reactivated],
  };
  const commands: PatientCommand[] = [
    update({ phone: null, email: 'ada@example.org' }),
    update({ address: null, emergencyContacts: [] }),
    update({ lastName: 'King' }),
    deactivate(),
    reactivate(),
    register(),
    { type: 'AssignPractitioner', patientId, practitionerId: practitioner, practitionerStanding: 'verified' },
    { type: 'UnassignPractitioner', patientId, practitionerId: colleague },
  ];
  for (const [name, history] of Object.entries(histories)) {
    const folded = history.reduce(patientDecider.evolve, patientDecider.initialState());
    // What migration 0014 stores and fold-reads.ts hands back: the state through JSON.
    const restored = JSON.parse(JSON.stringify(folded));
    t.strictSame(restored, folded, `${name}: the state comes back from JSON as it was`);
    for (const command of commands) {
      t.strictSame(patientDecider.decide(command, restored), patientDecider.decide(command, folded), `${name}: ${command.type} decides alike`);
    }
  }
});
