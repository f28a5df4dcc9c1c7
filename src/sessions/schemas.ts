import { Type } from 'typebox';
import { MAX_PASSWORD_LENGTH } from '../accounts/password-policy.js';

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 254, description: 'Your email, phone (E.164) or username' }),
    password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }),
  },
  { additionalProperties: false },
);

export const RefreshBody = Type.Object(
  { refreshToken: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

export const TokenPair = Type.Object({
  accessToken: Type.String({ description: 'Send as `Authorization: Bearer <token>`' }),
  refreshToken: Type.String({ description: 'Opaque; exchange it at /auth/refresh before it expires. Each one works once.' }),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Seconds until the access token expires' }),
});
