# The gateway as an image: `docker build -t ep-account-membership-gateway .`, then
# `docker run -p 4000:4000 -e EP_API_BASE_URL=https://useast.api.elasticpath.com ep-account-membership-gateway`.
# The same image runs the Elastic Path emulator (`node dist/emulator/main.js`): see compose.yaml.

# Build: every dependency, TypeScript compiled to dist/.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime: production dependencies and dist/ only (no TypeScript, no tsx), owned by root and run
# as the unprivileged `node` user, so the process cannot rewrite its own code.
FROM node:24-slim AS runtime
ENV NODE_ENV=production
# A larger young generation: every operation leaves short-lived garbage (parsed answers, results),
# and V8's default 16 MiB semi-spaces made the collector a fifth of a page's CPU (README, Performance).
ENV NODE_OPTIONS=--max-semi-space-size=32
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 4000
# GET /health on HOST and PORT with node itself (the slim image has no curl); exits 0 only on 200.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["node", "dist/healthcheck.js"]
# node itself as PID 1 (no npm, no shell), so `docker stop`'s SIGTERM reaches the gateway, which
# drains and exits 0 (give it `--stop-timeout` above SHUTDOWN_DELAY_MS + SHUTDOWN_GRACE_MS).
CMD ["node", "dist/server.js"]
