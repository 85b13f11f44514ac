/** Who runs an administration command, for the account history ("who and when"). */
import { userInfo } from 'node:os';
import { UsageError } from '../errors';

/** `--by NAME` when given, else the operating-system user as `cli:<name>`. */
export function actorOf(by: string | undefined): string {
  if (by !== undefined) {
    const name = by.trim();
    if (!name || name.length > 200 || /[\x00-\x1f\x7f]/.test(name)) throw new UsageError('--by must be a short, printable name');
    return name;
  }
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}
