// Passwords that meet the length rule and are still among the first an attacker tries.
const COMMON = new Set([
  '123456789012', '1234567890123', '12345678901234', '123456789123', '111111111111', '000000000000',
  '1q2w3e4r5t6y', '1qaz2wsx3edc', 'qwertyuiop12', 'qwertyuiopasdfghjkl', 'qwertyuiopasdfgh', 'asdfghjkl123',
  'zxcvbnm12345', 'abcdefghijkl', 'abc123abc123', 'passwordpassword', 'iloveyouiloveyou', 'correcthorsebatterystaple',
  'trustno1trustno1', 'letmeinletmein', 'changemechangeme', 'administrator', 'administrator1', 'welcometopams',
]);

// Words that stay guessable whatever digits and symbols are put around them ("Password2024!").
const BASE_WORDS = new Set([
  'password', 'passw', 'pass', 'qwerty', 'qwertyuiop', 'asdf', 'asdfgh', 'zxcvbn', 'letmein', 'welcome', 'admin',
  'administrator', 'iloveyou', 'monkey', 'dragon', 'football', 'baseball', 'sunshine', 'princess', 'master',
  'shadow', 'superman', 'michael', 'secret', 'changeme', 'login', 'hello', 'abc', 'abcdef', 'pams', 'patient',
  'doctor', 'hospital', 'nurse', 'clinic', 'health', 'summer', 'winter', 'spring', 'autumn',
]);

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 128;

export interface PasswordContext {
  email: string;
  username?: string | null;
}

/** Why `password` is refused for this account, or undefined when it is acceptable. Pure. */
export function passwordProblem(password: string, context: PasswordContext): string | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters`;
  const lower = password.toLowerCase();
  const personal = [context.email.split('@')[0] ?? '', context.username ?? '']
    .map((part) => part.trim().toLowerCase())
    .filter((part) => part.length >= 3);
  if (personal.some((part) => lower.includes(part))) return 'must not contain your email address or username';
  if (new Set(lower).size <= 2) return 'must not be one or two characters repeated';
  const letters = lower.replace(/[^a-z]/g, '');
  if (COMMON.has(lower) || BASE_WORDS.has(letters)) return 'is too common; choose a less guessable one';
  return undefined;
}
