import { KepError } from '../../errors';

/** A job that can never succeed (bad payload, missing record): parked instead of retried forever. */
export class PermanentJobError extends KepError {
  override readonly name: string = 'PermanentJobError';
}
