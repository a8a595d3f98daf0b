/**
 * A service with decorated methods, as a user writes one: each method that
 * calls a fragile dependency is guarded, and the breaker is found by name.
 */
import { CircuitBreaker, isCircuitBreakerOpenException } from '../src';

export interface User {
  readonly id: string;
  readonly name: string;
}

/** The HTTP API the service depends on (in production, a fetch-based client). */
export interface UserApi {
  fetchUser(id: string): Promise<User>;
  updateUser(user: User): Promise<void>;
}

export class UserService {
  constructor(private readonly api: UserApi) {}

  /** Breaker `UserService#getUser`: 5 consecutive failures open it for 30 s. */
  @CircuitBreaker({ failureThreshold: 5, resetTimeout: 30_000 })
  async getUser(id: string): Promise<User> {
    return this.api.fetchUser(id);
  }

  /** Validation errors are the caller's fault, not the API's: they do not count. */
  @CircuitBreaker({ failureThreshold: 5, resetTimeout: 30_000, isFailure: (error) => !(error instanceof RangeError) })
  async rename(id: string, name: string): Promise<User> {
    if (name.trim() === '') throw new RangeError('name must not be blank');
    const user = { ...(await this.api.fetchUser(id)), name };
    await this.api.updateUser(user);
    return user;
  }

  /** What a caller does with a refusal: degrade instead of failing the request. */
  async displayName(id: string): Promise<string> {
    try {
      return (await this.getUser(id)).name;
    } catch (error) {
      if (isCircuitBreakerOpenException(error)) return `user ${id}`;
      throw error;
    }
  }
}
