import { randomUUID } from 'node:crypto';
import { correction, registrationBody, seededRandom } from './data.js';

/** Everything the load driver needs to build requests: where to send them, and which records exist. */
export interface Targets {
  apiUrl: string;
  floorUrl: string;
  /** Authorization headers from auth.ts, sent with every API request. */
  auth: Record<string, string>;
  patientIds: string[];
  /** Opaque list cursors at random depths of the patient list. */
  cursors: string[];
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PATCH';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export const REQUEST_KINDS = [
  'register',
  'register-idempotent',
  'update',
  'floor-insert',
  'floor-read-insert',
  'floor-append',
  'floor-validate',
  'get',
  'floor-get',
  'list',
  'floor-list',
] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

const JSON_BODY = { 'content-type': 'application/json' };

/**
 * A factory of requests of one kind. Each call makes a new request: a fresh MRN for a
 * registration, a random existing patient for an update or a read, a random page of the list.
 */
export function requestFactory(kind: RequestKind, targets: Targets, seed: number): () => HttpRequest {
  const random = seededRandom(seed);
  const tag = `${Date.now().toString(36)}${Math.floor(random() * 1e6).toString(36)}`.toUpperCase();
  let counter = 0;
  const anyPatient = () => targets.patientIds[Math.floor(random() * targets.patientIds.length)]!;
  const anyCursor = () => targets.cursors[Math.floor(random() * targets.cursors.length)]!;
  const api = targets.apiUrl;
  const floor = targets.floorUrl;
  const newRegistration = () => JSON.stringify(registrationBody(random, `L${tag}-${(counter += 1)}`));

  switch (kind) {
    case 'register':
      return () => ({ method: 'POST', url: `${api}/api/v1/patients`, headers: { ...targets.auth, ...JSON_BODY }, body: newRegistration() });
    case 'register-idempotent':
      return () => ({
        method: 'POST',
        url: `${api}/api/v1/patients`,
        headers: { ...targets.auth, ...JSON_BODY, 'idempotency-key': randomUUID() },
        body: newRegistration(),
      });
    case 'update':
      return () => ({
        method: 'PATCH',
        url: `${api}/api/v1/patients/${anyPatient()}`,
        headers: { ...targets.auth, ...JSON_BODY },
        body: JSON.stringify(correction(random)),
      });
    case 'floor-insert':
      return () => ({ method: 'POST', url: `${floor}/floor/insert`, headers: JSON_BODY, body: newRegistration() });
    case 'floor-read-insert':
      return () => ({
        method: 'POST',
        url: `${floor}/floor/patients/${anyPatient()}/read-insert`,
        headers: JSON_BODY,
        body: JSON.stringify(correction(random)),
      });
    case 'floor-append':
      return () => ({ method: 'POST', url: `${floor}/floor/append`, headers: JSON_BODY, body: newRegistration() });
    case 'floor-validate':
      return () => ({ method: 'POST', url: `${floor}/floor/validate`, headers: JSON_BODY, body: newRegistration() });
    case 'get':
      return () => ({ method: 'GET', url: `${api}/api/v1/patients/${anyPatient()}`, headers: targets.auth });
    case 'floor-get':
      return () => ({ method: 'GET', url: `${floor}/floor/patients/${anyPatient()}`, headers: {} });
    case 'list':
      return () => ({ method: 'GET', url: `${api}/api/v1/patients?limit=50&cursor=${anyCursor()}`, headers: targets.auth });
    case 'floor-list':
      return () => ({ method: 'GET', url: `${floor}/floor/patients?cursor=${anyCursor()}`, headers: {} });
  }
}
