import { Module } from '@nestjs/common';
import { RootController } from './root.controller.js';

/** The `GET /` signpost. */
@Module({ controllers: [RootController] })
export class RootModule {}
