import type { FastifyRequest } from 'fastify';
import type { EventMetadata } from '../event-store/types.js';

export interface Actor {
  id: string | null;
  role: string;
  patientId?: string;
  practitionerId?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
  }
}

export const ANONYMOUS: Actor = { id: null, role: 'anonymous' };

/** The metadata every event of this request carries: who, on which request, and why. */
export function eventMetadata(request: FastifyRequest, reason?: string): EventMetadata {
  const correlationId = request.headers['x-correlation-id'];
  return {
    actorId: request.actor.id,
    actorRole: request.actor.role,
    requestId: request.id,
    correlationId: typeof correlationId === 'string' && correlationId.length <= 128 ? correlationId : request.id,
    ...(reason === undefined ? {} : { reason }),
  };
}
