import { HttpStatus, Injectable, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ApiError } from '../common/api-error.js';
import type { RequestWithCaller } from './access.gate.js';

/**
 * Lets only admin keys through (AccessGate has already refused requests without a live key). A
 * guard on the route rather than a path rule in the gate: it holds for the route however its path
 * is spelled, and runs before the body is validated, so a store key learns nothing about the body.
 */
@Injectable()
export class AdminOnlyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const caller = context.switchToHttp().getRequest<RequestWithCaller>().caller;
    if (!caller) throw new Error('no verified caller on this request (is AccessGate applied to this route?)');
    if (caller.kind !== 'admin') throw new ApiError(HttpStatus.FORBIDDEN, 'FORBIDDEN', 'This endpoint needs an admin key');
    return true;
  }
}

/** Admin keys only (403 FORBIDDEN for a store key). */
export const AdminOnly = () => UseGuards(AdminOnlyGuard);
