import { Module, type DynamicModule } from '@nestjs/common';
import { AppModule } from '../app.module.js';
import type { AppConfig } from '../config/app-config.js';
import { RootController } from './root.controller.js';

/** The application as served over HTTP: AppModule plus the `GET /` signpost. */
@Module({})
export class RootModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: RootModule, imports: [AppModule.forRoot(config)], controllers: [RootController] };
  }
}
