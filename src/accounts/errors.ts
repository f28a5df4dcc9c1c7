import { AppError, invalid } from '../errors.js';

export const badField = (field: string, message: string) => invalid([{ in: 'body', field, message }]);

/** A mail link that is unknown, used, superseded or expired: the caller can only ask for a new one. */
export const unusableLink = (status: 'expired' | 'unknown') =>
  new AppError(
    400,
    'invalid-link',
    'Invalid link',
    status === 'expired' ? 'The link has expired; ask for a new one.' : 'The link is not valid or has already been used; ask for a new one.',
  );
