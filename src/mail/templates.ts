import type { Mail } from './outbox.js';

// Plain text on purpose: no tracking pixels, no remote content, readable in any client. The token
// travels in the URL fragment (#), which browsers never send to a server or write to its logs.
const link = (baseUrl: string, path: string, token: string) => `${baseUrl.replace(/\/+$/, '')}${path}#token=${token}`;

const hours = (seconds: number) => (seconds % 3600 === 0 ? `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}` : `${Math.round(seconds / 60)} minutes`);

export function verificationMail(to: string, firstName: string, token: string, baseUrl: string, ttlSeconds: number): Mail {
  return {
    to,
    subject: 'Confirm your email address for PAMS',
    body: [
      `Hello ${firstName},`,
      '',
      'Please confirm that this is your email address by opening this link:',
      link(baseUrl, '/verify-email', token),
      '',
      `The link works once and expires in ${hours(ttlSeconds)}. If you did not sign up for PAMS, ignore this message.`,
    ].join('\n'),
  };
}

export function passwordResetMail(to: string, firstName: string, token: string, baseUrl: string, ttlSeconds: number): Mail {
  return {
    to,
    subject: 'Reset your PAMS password',
    body: [
      `Hello ${firstName},`,
      '',
      'Someone asked to reset the password of your PAMS account. To choose a new one, open this link:',
      link(baseUrl, '/reset-password', token),
      '',
      `The link works once and expires in ${hours(ttlSeconds)}. If it was not you, ignore this message: your password stays as it is.`,
    ].join('\n'),
  };
}

/** To the address an account used until now: if the change was not its owner's, they learn of it. */
export function emailChangedMail(to: string, firstName: string): Mail {
  return {
    to,
    subject: 'The email address of your PAMS account was changed',
    body: [
      `Hello ${firstName},`,
      '',
      'The email address of your PAMS account was just changed, and this address no longer signs in to it.',
      '',
      'If you did not do this, someone else may have your password: contact your PAMS administrator at once.',
    ].join('\n'),
  };
}

/** To the address an OIDC sign-in just proved, when an account registered with it had not. */
export function accountClaimedMail(to: string, firstName: string): Mail {
  return {
    to,
    subject: 'Your PAMS account now opens only with your sign-in provider',
    body: [
      `Hello ${firstName},`,
      '',
      'You signed in to PAMS with your sign-in provider. An account had been registered with this address before, and the address had never been confirmed.',
      'Since your provider confirms that the address is yours, that account is now yours: the password it was registered with has been removed and every session it had has ended.',
      '',
      'If you did not register it yourself, someone else did: check its details, and contact your PAMS administrator if anything is not yours.',
    ].join('\n'),
  };
}

export function invitationMail(to: string, firstName: string, token: string, baseUrl: string, ttlSeconds: number): Mail {
  return {
    to,
    subject: 'Your PAMS account is ready',
    body: [
      `Hello ${firstName},`,
      '',
      'An administrator has created a PAMS account for you. Choose your password here:',
      link(baseUrl, '/reset-password', token),
      '',
      `The link works once and expires in ${hours(ttlSeconds)}.`,
    ].join('\n'),
  };
}
