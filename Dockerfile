# One image for the four services, the dashboard and the command line.
# Build stage: install production dependencies only (tsx runs the TypeScript sources).
FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN npm install -g pnpm@12.4.2 && npm cache clean --force
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY packages/core/package.json packages/core/
# The native kernels build here where the image has a compiler, else their JavaScript
# twins run (same bytes): their install script needs the package's sources.
COPY packages/native packages/native
COPY packages/pipeline/package.json packages/pipeline/
COPY packages/cli/package.json packages/cli/
COPY services/generator/package.json services/generator/
COPY services/scanner/package.json services/scanner/
COPY services/metadata-detector/package.json services/metadata-detector/
COPY services/reporter/package.json services/reporter/
COPY services/dashboard/package.json services/dashboard/
RUN pnpm install --frozen-lockfile --prod

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app /app
COPY packages packages
COPY services services
COPY scenarios scenarios
COPY package.json ./
RUN mkdir -p /app/results && chown node:node /app/results
USER node
# Services handle SIGTERM themselves and stop within 8 s; compose adds an init (init: true).
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["packages/cli/src/main.ts", "--help"]
