import type { Demographics } from '../src/patients/events.js';

// Realistic-looking patients, the same shapes for seeding and for HTTP load. A small seeded PRNG
// keeps runs comparable: the same seed gives the same names, so the list pages hold the same rows.

const FIRST_NAMES = [
  'Ada', 'Chinedu', 'Ngozi', 'Emeka', 'Amina', 'Tunde', 'Fatima', 'Ibrahim', 'Grace', 'Samuel', 'Blessing',
  'Yusuf', 'Chioma', 'Olumide', 'Zainab', 'David', 'Esther', 'Musa', 'Funke', 'Kelechi', 'Halima', 'John',
  'Mary', 'Peter', 'Aisha', 'Daniel', 'Ruth', 'Joseph', 'Hauwa', 'Segun', 'Ifeoma', 'Bola', 'Nkechi', 'Uche',
];
const LAST_NAMES = [
  'Okafor', 'Adeyemi', 'Bello', 'Eze', 'Ibrahim', 'Okonkwo', 'Abubakar', 'Olawale', 'Nwosu', 'Mohammed',
  'Adebayo', 'Obi', 'Usman', 'Chukwu', 'Afolabi', 'Lawal', 'Onyeka', 'Balogun', 'Danjuma', 'Nnamdi',
  'Ogunleye', 'Yakubu', 'Ekwueme', 'Salami', 'Oyelaran', 'Garba', 'Ihejirika', 'Akande', 'Umeh', 'Sani',
];
const CITIES = ['Lagos', 'Abuja', 'Kano', 'Ibadan', 'Enugu', 'Port Harcourt', 'Kaduna', 'Jos', 'Benin City'];
const STATES = ['Lagos', 'FCT', 'Kano', 'Oyo', 'Enugu', 'Rivers', 'Kaduna', 'Plateau', 'Edo'];
const RELATIONSHIPS = ['spouse', 'mother', 'father', 'sister', 'brother', 'son', 'daughter', 'friend'];
const BLOOD_GROUPS = ['A+', 'A-', 'B+', 'B-', 'O+', 'O-', 'AB+', 'AB-'] as const;
const GENOTYPES = ['AA', 'AS', 'SS', 'AC', 'SC'] as const;
const SEXES = ['male', 'female', 'other', 'unknown'] as const;

export type Random = () => number;

/** mulberry32: fast, seedable, good enough to spread test data. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const digits = (random: Random, count: number) =>
  Array.from({ length: count }, () => Math.floor(random() * 10)).join('');

export const phoneNumber = (random: Random) => `+23480${digits(random, 8)}`;

function dateOfBirth(random: Random): string {
  const year = 1930 + Math.floor(random() * 94);
  const month = 1 + Math.floor(random() * 12);
  const day = 1 + Math.floor(random() * 28);
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

const address = (random: Random) => {
  const city = Math.floor(random() * CITIES.length);
  return {
    line: `${1 + Math.floor(random() * 250)} ${pick(random, LAST_NAMES)} Street`,
    city: CITIES[city]!,
    state: STATES[city]!,
    postalCode: digits(random, 6),
    country: 'NG',
  };
};

const emergencyContact = (random: Random) => ({
  name: `${pick(random, FIRST_NAMES)} ${pick(random, LAST_NAMES)}`,
  relationship: pick(random, RELATIONSHIPS),
  phone: phoneNumber(random),
});

/** A complete RegisterPatient body, as a registration clerk would send it. */
export function registrationBody(random: Random, mrn: string) {
  const firstName = pick(random, FIRST_NAMES);
  const lastName = pick(random, LAST_NAMES);
  return {
    mrn,
    firstName,
    lastName,
    dateOfBirth: dateOfBirth(random),
    sex: pick(random, SEXES),
    phone: phoneNumber(random),
    email: `${firstName}.${lastName}.${digits(random, 4)}@example.org`.toLowerCase(),
    address: address(random),
    bloodGroup: pick(random, BLOOD_GROUPS),
    genotype: pick(random, GENOTYPES),
    nationality: 'Nigerian',
    emergencyContacts: [emergencyContact(random)],
  };
}

export function registrationDemographics(random: Random, mrn: string): { mrn: string; demographics: Demographics } {
  const { mrn: _mrn, ...demographics } = registrationBody(random, mrn);
  return { mrn, demographics };
}

/**
 * A demographic correction, of the kinds that happen in a records office: mostly a new phone
 * number, sometimes an email, an address or an emergency contact. Always a real change, so that
 * the command appends an event.
 */
export function correction(random: Random): Partial<Demographics> {
  const kind = random();
  if (kind < 0.55) return { phone: phoneNumber(random) };
  if (kind < 0.75) return { email: `patient.${digits(random, 10)}@example.org` };
  if (kind < 0.9) return { address: address(random) };
  return { emergencyContacts: [emergencyContact(random), emergencyContact(random)].slice(0, 1 + Math.floor(random() * 2)) };
}
