import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Caller } from './api-key.js';
import type { RequestWithCaller } from './access.gate.js';

/** The verified caller of an `/api/…` request (AccessGate runs before every such route). */
export const CurrentCaller = createParamDecorator((_: unknown, context: ExecutionContext): Caller => {
  const caller = context.switchToHttp().getRequest<RequestWithCaller>().caller;
  // Never default to anything: a route reached without the gate is a wiring bug, not an anonymous caller.
  if (!caller) throw new Error('no verified caller on this request (is AccessGate applied to this route?)');
  return caller;
});
