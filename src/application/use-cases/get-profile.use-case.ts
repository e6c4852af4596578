import { inject, injectable } from "tsyringe";
import { UserNotFoundError } from "../../domain/errors.js";
import type { User } from "../../domain/user.entity.js";
import type { UserRepository } from "../ports/user-repository.port.js";
import { TOKENS } from "../tokens.js";

export interface GetProfileInput {
  userId: string;
}

export interface GetProfileOutput {
  user: User;
}

@injectable()
export class GetProfile {
  constructor(@inject(TOKENS.UserRepository) private readonly users: UserRepository) {}

  async execute(input: GetProfileInput): Promise<GetProfileOutput> {
    const user = await this.users.findById(input.userId);
    if (!user) throw new UserNotFoundError();
    return { user };
  }
}
