# Production image: compiled service on Node 24, production dependencies only, no TypeScript compiler,
# run as the unprivileged `node` user. test/e2e/production-path.e2e.test.ts rehearses this layout.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src src
COPY migrations migrations
# The commit the image is built from, for warranty_build_info (.git is not sent to the build):
#   docker build --build-arg BUILD_COMMIT=$(git rev-parse HEAD) .
ARG BUILD_COMMIT
RUN npm run build

FROM node:24-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# TypeScript is an optional peer of @nestjs/swagger, so --omit=dev keeps it: removed, nothing can compile here.
RUN npm ci --omit=dev && rm -rf node_modules/typescript node_modules/.bin/tsc node_modules/.bin/tsserver

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=dependencies /app/node_modules node_modules
COPY --from=build /app/dist/src dist/src
COPY --from=build /app/dist/migrations dist/migrations
COPY --from=build /app/dist/build-info.json dist/build-info.json
# The code stays root's and read-only to the service; .data is the one folder it may write. In production
# the archive goes to S3 — or to ARCHIVE_DIR=/app/.data/archive with a volume mounted at /app/.data.
RUN mkdir .data && chown node:node .data
USER node
EXPOSE 3000
CMD ["node", "dist/src/main.js"]
